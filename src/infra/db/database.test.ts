import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { createPostgresDatabase, testDialects } from '../../../test/helpers/database.js';
import { SYSTEM_ACTOR } from '../../audit/events.js';
import { RestaurantsRepository } from '../../modules/restaurants/repository.js';
import { createRestaurant } from '../../modules/restaurants/service.js';
import { openDatabase, type Database, type DialectName, type Executor } from './database.js';
import { migrateToLatest } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';
import { TenantRepository, trustedRestaurantId, type RestaurantId } from './tenant.js';
import { inTransaction } from './transaction.js';

const FOUNDATION_TABLES = [
  'audit_archives',
  'audit_chain_heads',
  'audit_events',
  'data_keys',
  'restaurants',
  'system_state',
];

/** An empty, unmigrated database of the given dialect, and how to throw it away. */
async function emptyDatabase(dialect: DialectName) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-db-'));
  const postgres = dialect === 'postgres' ? await createPostgresDatabase() : null;
  const open = (): Database =>
    openDatabase({ dataDir, ...(postgres ? { url: postgres.url } : {}) });
  const database = open();
  return {
    database,
    open,
    async drop() {
      await database.close();
      await postgres?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function tableNames(db: Executor): Promise<string[]> {
  const tables = await db.introspection.getTables();
  return tables.map((table) => table.name);
}

describe.each(testDialects())('database on %s', (dialect) => {
  describe('migrations', () => {
    let empty: Awaited<ReturnType<typeof emptyDatabase>>;

    beforeAll(async () => {
      empty = await emptyDatabase(dialect);
    });
    afterAll(() => empty.drop());

    it('applies every migration to an empty database, then nothing on a second run', async () => {
      expect(await migrateToLatest(empty.database)).toEqual(MIGRATIONS.map((m) => m.name));
      expect(await migrateToLatest(empty.database)).toEqual([]);

      expect(await tableNames(empty.database.kysely)).toEqual(
        expect.arrayContaining(FOUNDATION_TABLES),
      );
    });

    it('reports an up-to-date schema from a second connection too', async () => {
      const other = empty.open();
      try {
        expect(await migrateToLatest(other)).toEqual([]);
      } finally {
        await other.close();
      }
    });

    // Scale-out runs several API processes on PostgreSQL that all migrate at start; Kysely
    // serializes them with an advisory lock.
    if (dialect === 'postgres') {
      it('applies each migration once when several processes migrate at once', async () => {
        const fresh = await emptyDatabase(dialect);
        const others = [fresh.open(), fresh.open()];
        try {
          const results = await Promise.all(
            [fresh.database, ...others].map((database) => migrateToLatest(database)),
          );
          expect(results.flat().sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
        } finally {
          await Promise.all(others.map((database) => database.close()));
          await fresh.drop();
        }
      });
    }
  });

  describe('transactions and repositories', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await buildTestApp({ dialect });
    });
    afterAll(() => t.close());

    const restaurantRow = (slug: string) => ({
      id: `id-${slug}`,
      slug,
      name: slug,
      timezone: 'America/Sao_Paulo',
      currency: 'BRL',
      service_fee_basis_points: 0,
      pix_key: null,
      settings: '{}',
      created_at: '2026-01-15T12:00:00.000Z',
      updated_at: '2026-01-15T12:00:00.000Z',
    });

    it('commits everything the callback wrote', async () => {
      await inTransaction(t.context.database, async (tx) => {
        await new RestaurantsRepository(tx).insert(restaurantRow('committed'));
        await tx
          .insertInto('system_state')
          .values({ key: 'committed', value: '1', updated_at: '2026-01-15T12:00:00.000Z' })
          .execute();
      });

      const restaurants = new RestaurantsRepository(t.context.database.kysely);
      expect(await restaurants.findBySlug('committed')).toMatchObject({ slug: 'committed' });
      const state = await t.context.database.kysely
        .selectFrom('system_state')
        .selectAll()
        .where('key', '=', 'committed')
        .execute();
      expect(state).toHaveLength(1);
    });

    it('rolls back everything when the callback throws, and rethrows its error', async () => {
      const failure = new Error('the third step failed');

      await expect(
        inTransaction(t.context.database, async (tx) => {
          await new RestaurantsRepository(tx).insert(restaurantRow('rolled-back'));
          await t.context.audit.record(tx, {
            type: 'object_created',
            action: 'restaurant.create',
            outcome: 'success',
            restaurantId: 'id-rolled-back',
            actor: SYSTEM_ACTOR,
          });
          await tx
            .insertInto('system_state')
            .values({ key: 'rolled-back', value: '1', updated_at: '2026-01-15T12:00:00.000Z' })
            .execute();
          throw failure;
        }),
      ).rejects.toBe(failure);

      const db = t.context.database.kysely;
      expect(await new RestaurantsRepository(db).findBySlug('rolled-back')).toBeNull();
      const leftovers = await Promise.all([
        db.selectFrom('system_state').selectAll().where('key', '=', 'rolled-back').execute(),
        db
          .selectFrom('audit_events')
          .selectAll()
          .where('chain_id', '=', 'id-rolled-back')
          .execute(),
        db
          .selectFrom('audit_chain_heads')
          .selectAll()
          .where('chain_id', '=', 'id-rolled-back')
          .execute(),
      ]);
      expect(leftovers).toEqual([[], [], []]);
    });

    describe('security', () => {
      it('treats a quote-laden slug as data: an OR-tautology finds nothing', async () => {
        await createRestaurant(t.context, { slug: 'existing', name: 'Existing' }, SYSTEM_ACTOR);
        const restaurants = new RestaurantsRepository(t.context.database.kysely);

        expect(await restaurants.findBySlug("x' OR '1'='1")).toBeNull();
        expect(await restaurants.findBySlug("existing' --")).toBeNull();
        expect(await restaurants.findById("' OR 1=1 --")).toBeNull();
        expect(await restaurants.findBySlug('existing')).not.toBeNull();
      });

      it('stores an injection-shaped name literally, and the table survives', async () => {
        const name = "Robert'); DROP TABLE restaurants;--";
        const before = await new RestaurantsRepository(t.context.database.kysely).count();

        await createRestaurant(t.context, { slug: 'bobby-tables', name }, SYSTEM_ACTOR);

        const restaurants = new RestaurantsRepository(t.context.database.kysely);
        expect((await restaurants.findBySlug('bobby-tables'))?.name).toBe(name);
        expect(await restaurants.count()).toBe(before + 1);
        expect(await tableNames(t.context.database.kysely)).toContain('restaurants');
      });

      it('cannot build a tenant repository without a restaurant id', () => {
        class OrdersRepository extends TenantRepository {
          constructor(db: Executor, restaurantId: RestaurantId) {
            super(db, restaurantId);
          }
          tenant(): string {
            return this.restaurantId;
          }
        }
        const db = t.context.database.kysely;

        expect(() => new OrdersRepository(db, '' as RestaurantId)).toThrow(/restaurant id/);
        expect(() => new OrdersRepository(db, undefined as unknown as RestaurantId)).toThrow();
        expect(() => trustedRestaurantId('')).toThrow();
        expect(new OrdersRepository(db, trustedRestaurantId('r-1')).tenant()).toBe('r-1');
      });
    });
  });
});

describe('embedded SQLite', () => {
  let empty: Awaited<ReturnType<typeof emptyDatabase>>;

  beforeAll(async () => {
    empty = await emptyDatabase('sqlite');
  });
  afterAll(() => empty.drop());

  it('runs in WAL mode with synchronous=FULL: a commit survives power loss', async () => {
    const db = empty.database.kysely;
    const journal = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(db);
    const synchronous = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db);
    const foreignKeys = await sql<{ foreign_keys: number }>`PRAGMA foreign_keys`.execute(db);

    expect(journal.rows[0]?.journal_mode).toBe('wal');
    expect(synchronous.rows[0]?.synchronous).toBe(2); // 2 = FULL
    expect(foreignKeys.rows[0]?.foreign_keys).toBe(1);
  });
});

describe('embedded SQLite files', () => {
  it('are readable and writable by their owner only, the write-ahead log included', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-db-'));
    const database = openDatabase({ dataDir });
    try {
      await migrateToLatest(database);

      const files = readdirSync(dataDir);
      expect(files).toEqual(expect.arrayContaining(['chefia.db', 'chefia.db-wal']));
      for (const file of files) {
        expect(statSync(path.join(dataDir, file)).mode & 0o777, file).toBe(0o600);
      }
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    } finally {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!testDialects().includes('postgres'))('PostgreSQL connection pool', () => {
  it('survives an idle connection terminated by the server and reconnects', async () => {
    const postgres = await createPostgresDatabase();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-db-'));
    const errors: Error[] = [];
    const database = openDatabase({
      dataDir,
      url: postgres.url,
      onConnectionError: (error) => errors.push(error),
    });
    try {
      const before = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(
        database.kysely,
      );
      const pid = before.rows[0]!.pid;

      const admin = openDatabase({ dataDir, url: postgres.url });
      await sql`select pg_terminate_backend(${pid})`.execute(admin.kysely);
      await admin.close();
      await expect.poll(() => errors.length).toBe(1);

      const after = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(
        database.kysely,
      );
      expect(after.rows[0]!.pid).not.toBe(pid);
    } finally {
      await database.close();
      await postgres.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
