import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createPostgresDatabase, testDialects } from '../../../test/helpers/database.js';
import { openDatabase, type Database } from './database.js';
import { migrateToLatest } from './migrate.js';
import { PreparedInsert, PreparedQuery } from './prepared-query.js';
import type { SystemStateTable } from './schema.js';

const STATE_BY_KEY = new PreparedQuery<{ key: string }, SystemStateTable>((db, value) =>
  db.selectFrom('system_state').selectAll().where('key', '=', value('key')),
);
const BUMP = new PreparedQuery<{ key: string; at: string }, { value: string }>((db, value) =>
  db
    .updateTable('system_state')
    .set({ value: sql<string>`value || '+'`, updated_at: value('at') })
    .where('key', '=', value('key'))
    .returning('value'),
);
const INSERT_STATE = new PreparedInsert('system_state');

describe.each(testDialects())('prepared queries (%s)', (dialect) => {
  let dataDir: string;
  let database: Database;
  let dropPostgres: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-prepared-'));
    const postgres = dialect === 'postgres' ? await createPostgresDatabase() : null;
    dropPostgres = postgres?.drop;
    database = openDatabase({ dataDir, ...(postgres ? { url: postgres.url } : {}) });
    await migrateToLatest(database);
  });
  afterAll(async () => {
    await database.close();
    await dropPostgres?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const db = () => database.kysely;

  it('runs with each call its own values, as the builder would', async () => {
    await INSERT_STATE.execute(db(), { key: 'a', value: '1', updated_at: 't1' });
    await INSERT_STATE.execute(db(), { key: 'b', value: '2', updated_at: 't2' });

    const built = await db()
      .selectFrom('system_state')
      .selectAll()
      .where('key', '=', 'b')
      .execute();
    expect(await STATE_BY_KEY.execute(db(), { key: 'a' })).toEqual([
      { key: 'a', value: '1', updated_at: 't1' },
    ]);
    expect(await STATE_BY_KEY.execute(db(), { key: 'b' })).toEqual(built);
    expect(await STATE_BY_KEY.executeTakeFirst(db(), { key: 'none' })).toBeUndefined();
  });

  it('keeps the constants of the query and returns what a write returns', async () => {
    await INSERT_STATE.execute(db(), { key: 'c', value: 'x', updated_at: 't0' });

    const first = await BUMP.executeTakeFirst(db(), { key: 'c', at: 't1' });
    const second = await BUMP.executeTakeFirst(db(), { key: 'c', at: 't2' });

    expect(first).toEqual({ value: 'x+' });
    expect(second).toEqual({ value: 'x++' });
    expect(await STATE_BY_KEY.executeTakeFirst(db(), { key: 'c' })).toMatchObject({
      updated_at: 't2',
    });
  });

  it('runs inside a transaction and rolls back with it', async () => {
    const failing = database.transaction(async (tx) => {
      await INSERT_STATE.execute(tx, { key: 'in-tx', value: '1', updated_at: 't' });
      expect(await STATE_BY_KEY.execute(tx, { key: 'in-tx' })).toHaveLength(1);
      throw new Error('roll back');
    });

    await expect(failing).rejects.toThrow('roll back');
    expect(await STATE_BY_KEY.execute(db(), { key: 'in-tx' })).toEqual([]);
  });

  it('sends values as parameters, never as SQL', async () => {
    const hostile = "x'); DROP TABLE system_state; --";
    await INSERT_STATE.execute(db(), { key: hostile, value: hostile, updated_at: 't' });

    expect(await STATE_BY_KEY.execute(db(), { key: hostile })).toEqual([
      { key: hostile, value: hostile, updated_at: 't' },
    ]);
    expect(await STATE_BY_KEY.execute(db(), { key: 'a' })).toHaveLength(1);
  });

  it('refuses a query that writes one of its values into the SQL text', async () => {
    const inlined = new PreparedQuery<{ key: string }, unknown>((kysely, value) =>
      kysely
        .selectFrom('system_state')
        .selectAll()
        .where('key', '=', sql.lit(value('key'))),
    );

    await expect(inlined.execute(db(), { key: 'a' })).rejects.toThrow('inlined one of its values');
  });
});
