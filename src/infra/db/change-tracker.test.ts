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
  const sqlOf = (query: { compile(): { sql: string } }) => query.compile().sql;

  it('finds no table in a read or in transaction control', () => {
    const read = builder.selectFrom('orders').selectAll().where('id', '=', 'o-1');

    expect(tablesWrittenBy(sqlOf(read))).toEqual([]);
    for (const statement of ['select 1', '  SELECT * FROM orders', 'begin', 'commit', 'rollback']) {
      expect(tablesWrittenBy(statement), statement).toEqual([]);
    }
    expect(tablesWrittenBy('savepoint "unit"')).toEqual([]);
    expect(tablesWrittenBy('release "unit"')).toEqual([]);
    expect(tablesWrittenBy('rollback to "unit"')).toEqual([]);
  });

  it('names the table an insert, update or delete writes, as Kysely compiles them', () => {
    const insert = builder.insertInto('order_items').values({ id: 'i-1' } as never);
    const upsert = builder
      .insertInto('order_counters')
      .values({ restaurant_id: 'r', business_date: 'd', last_number: 1 })
      .onConflict((oc) => oc.columns(['restaurant_id', 'business_date']).doNothing());
    const update = builder.updateTable('orders as o').set({ notes: 'x' }).where('o.id', '=', '1');
    const remove = builder.deleteFrom('payments').where('id', '=', 'p-1');

    expect(tablesWrittenBy(sqlOf(insert))).toEqual(['order_items']);
    expect(tablesWrittenBy(sqlOf(upsert))).toEqual(['order_counters']);
    expect(tablesWrittenBy(sqlOf(update))).toEqual(['orders']);
    expect(tablesWrittenBy(sqlOf(remove))).toEqual(['payments']);
  });

  it('reads the target of hand-written SQL, qualified, quoted or in another case', () => {
    expect(tablesWrittenBy('UPDATE orders SET notes = NULL')).toEqual(['orders']);
    expect(tablesWrittenBy('insert or ignore into "audit_chain_heads" values (?)')).toEqual([
      'audit_chain_heads',
    ]);
    expect(tablesWrittenBy('REPLACE INTO order_items VALUES (1)')).toEqual(['order_items']);
    expect(tablesWrittenBy('delete from "main"."orders"')).toEqual(['orders']);
    expect(tablesWrittenBy('update main . order_items set notes = null')).toEqual(['order_items']);
  });

  it('counts anything else as writing every table', () => {
    const ddl = builder.schema.createTable('t').addColumn('a', 'text').compile().sql;

    expect(tablesWrittenBy(ddl)).toBe('all');
    expect(tablesWrittenBy('with doomed as (select id from orders) delete from orders')).toBe(
      'all',
    );
    expect(tablesWrittenBy('pragma user_version = 9')).toBe('all');
    expect(tablesWrittenBy('drop table orders')).toBe('all');
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

  it('reads a schema that writes no table behind a statement: triggers only refuse, no cascade into the order tables', () => {
    const connection = new SQLite(path.join(dataDir, SQLITE_FILE_NAME), { readonly: true });
    try {
      const triggers = connection
        .prepare(`select name, sql from sqlite_master where type = 'trigger'`)
        .all() as { name: string; sql: string }[];
      const writingTriggers = triggers.filter(({ sql: body }) =>
        /\b(?:insert|update|delete|replace)\b/i.test(body.slice(body.search(/\bbegin\b/i))),
      );
      const tables = connection
        .prepare(`select name from sqlite_master where type = 'table'`)
        .pluck()
        .all() as string[];
      const actions = tables.flatMap((table) =>
        (
          connection
            .prepare(`select "table", on_update, on_delete from pragma_foreign_key_list(?)`)
            .all(table) as { table: string; on_update: string; on_delete: string }[]
        )
          .filter((key) =>
            [key.on_update, key.on_delete].some((action) =>
              ['CASCADE', 'SET NULL', 'SET DEFAULT'].includes(action),
            ),
          )
          .map((key) => `${key.table} -> ${table}`),
      );

      expect(triggers.length).toBeGreaterThan(0);
      expect(writingTriggers).toEqual([]);
      // A write the tracker does not see; no order view is built from either table.
      expect(actions).toEqual(['security_alerts -> alert_outbox']);
    } finally {
      connection.close();
    }
  });

  it('changes on a write sent as a sql template', async () => {
    const before = versionOfOrders();

    await sql`update orders set notes = null where id = ${'no-such-order'}`.execute(
      database.kysely,
    );

    expect(versionOfOrders()).not.toBe(before);
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
