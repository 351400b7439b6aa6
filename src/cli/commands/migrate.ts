import type { Command } from 'commander';

import { openDatabase } from '../../infra/db/database.js';
import { migrateToLatest } from '../../infra/db/migrate.js';
import { configFrom, type GlobalFlags } from '../run.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action(async () => {
      const config = configFrom(program.opts<GlobalFlags>());
      const database = openDatabase({
        dataDir: config.dataDir,
        tls: config.database.tls,
        ...(config.database.url ? { url: config.database.url } : {}),
      });
      try {
        const applied = await migrateToLatest(database);
        console.log(
          applied.length === 0 ? 'schema is up to date' : `applied: ${applied.join(', ')}`,
        );
      } finally {
        await database.close();
      }
    });
}
