import { Migrator, type Kysely, type MigrationProvider } from 'kysely';

import type { Database } from './database.js';
import { MIGRATIONS } from './migrations/index.js';

/** Brings the schema up to date. Safe to run from several processes: Kysely takes a lock. */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const provider: MigrationProvider = {
    getMigrations: async () =>
      Object.fromEntries(
        MIGRATIONS.map((migration) => [
          migration.name,
          { up: (db: Kysely<unknown>) => migration.up(db, database.dialect) },
        ]),
      ),
  };
  const migrator = new Migrator({ db: database.kysely, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    throw new Error('Database migration failed.', { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
