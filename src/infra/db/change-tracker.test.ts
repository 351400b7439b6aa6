import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import SQLite from 'better-sqlite3';
import {
  DummyDriver,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tablesWrittenBy } from './change-tracker.js';
import { openDatabase, SQLITE_FILE_NAME, type Database } from './database.js';
import { migrateToLatest } from './migrate.js';
import type { DatabaseSchema } from './schema.js';

/** Builds queries without a database, to read their trees. */
const builder = new Kysely<DatabaseSchema>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

describe('tablesWrittenBy', () => {
  it('finds no table in a read', () => {
    const read = builder.selectFrom('orders').selectAll().where('id', '=', 'o-1');

    expect(tablesWrittenBy(read.toOperationNode())).toEqual([]);
    expect(tablesWrittenBy(sql`select 1`.toOperationNode())).toEqual([]);
    expect(tablesWrittenBy(sql`  SELECT * FROM orders`.toOperationNode())).toEqual([]);
  });

  it('names the table an insert, update or delete writes, through an alias too', () => {
    const insert = builder.insertInto('order_items').values({ id: 'i-1' } as never);
    const update = builder.updateTable('orders as o').set({ notes: 'x' }).where('o.id', '=', '1');
    const remove = builder.deleteFrom('payments').where('id', '=', 'p-1');

    expect(tablesWrittenBy(insert.toOperationNode())).toEqual(['order_items']);
    expect(tablesWrittenBy(update.toOperationNode())).toEqual(['orders']);
    expect(tablesWrittenBy(remove.toOperationNode())).toEqual(['payments']);
  });

  it('counts raw SQL other than a read, and schema changes, as writing every table', () => {
    const rawUpdate = sql`update orders set notes = null`.toOperationNode();
    const ddl = builder.schema.createTable('t').addColumn('a', 'text').toOperationNode();

    expect(tablesWrittenBy(rawUpdate)).toBe('all');
    expect(tablesWrittenBy(ddl)).toBe('all');
  });
});

describe('ChangeTracker (sqlite)', () => {
  let dataDir: string;
  let database: Database;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-changes-'));
    database = openDatabase({ dataDir });
    await migrateToLatest(database);
  });
  afterAll(async () => {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const versionOfOrders = () => database.changes!.versionOf(['orders', 'order_items']);

  it('stays the same over reads and over writes to other tables', async () => {
    const before = versionOfOrders();

    await database.kysely.selectFrom('orders').selectAll().execute();
    await database.kysely.selectFrom('order_items').selectAll().execute();
    await database.transaction((tx) =>
      tx
        .insertInto('system_state')
        .values({ key: 'tracker-test', value: '1', updated_at: new Date().toISOString() })
        .execute()
        .then(() => undefined),
    );

    expect(versionOfOrders()).toBe(before);
  });

  it('changes on a write to a watched table, in a transaction or not', async () => {
    const first = versionOfOrders();
    await database.kysely.updateTable('orders').set({ notes: null }).execute();
    const second = versionOfOrders();
    await database.transaction((tx) =>
      tx
        .deleteFrom('order_items')
        .execute()
        .then(() => undefined),
    );
    const third = versionOfOrders();

    expect(second).not.toBe(first);
    expect(third).not.toBe(second);
  });

  it('changes from the next event-loop turn on when another connection commits', async () => {
    const before = versionOfOrders();

    const other = new SQLite(path.join(dataDir, SQLITE_FILE_NAME));
    try {
      other
        .prepare("INSERT INTO system_state (key, value, updated_at) VALUES ('other', '1', '')")
        .run();
    } finally {
      other.close();
    }
    const sameTurn = versionOfOrders();
    await new Promise((resolve) => setImmediate(resolve));

    expect(sameTurn).toBe(before);
    expect(versionOfOrders()).not.toBe(before);
  });

  it('is not offered on PostgreSQL, where other servers write unseen', () => {
    const postgres = openDatabase({ dataDir, url: 'postgres://127.0.0.1:1/none' });
    try {
      expect(postgres.changes).toBeNull();
    } finally {
      void postgres.close();
    }
  });
});
