import { sql, type RawBuilder } from 'kysely';

import type { Executor } from '../../infra/db/database.js';
import { ENCRYPTED_COLUMNS, type EncryptedColumn } from './encrypted-columns.js';

// SQL over the registered encrypted columns, for the rotation. Table and column names come only
// from the static registry, never from input; every value is a bound parameter.

/**
 * The LIKE pattern matching every value a key encrypted: `v1.<keyId>.%`. Key ids may hold `_`, a
 * LIKE wildcard, so it is escaped; the trailing dot keeps `k1` from matching `k10`'s values.
 */
export function keyPrefixPattern(keyId: string): string {
  return `v1.${keyId.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`;
}

/** `column LIKE pattern` with a backslash escape, spelt the same on SQLite and PostgreSQL. */
function likeKey(column: EncryptedColumn, keyId: string): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(column.column)} like ${keyPrefixPattern(keyId)} escape '\\'`;
}

async function countWhere(
  db: Executor,
  column: EncryptedColumn,
  condition: RawBuilder<boolean>,
): Promise<number> {
  // Table and column names come from the static registry, never from input.
  const result = await sql<{ count: number | string }>`
    select count(*) as count from ${sql.table(column.table)}
    where ${sql.ref(column.column)} is not null and ${condition}
  `.execute(db);
  return Number(result.rows[0]?.count ?? 0);
}

/** How many stored values, across every registered column, a key encrypted. */
export async function countValuesUnderKey(db: Executor, keyId: string): Promise<number> {
  let total = 0;
  for (const column of ENCRYPTED_COLUMNS) {
    total += await countWhere(db, column, likeKey(column, keyId));
  }
  return total;
}

/** How many stored values, across every registered column, some other key than this encrypted. */
export async function countValuesNotUnderKey(db: Executor, keyId: string): Promise<number> {
  let total = 0;
  for (const column of ENCRYPTED_COLUMNS) {
    total += await countWhere(db, column, sql<boolean>`not (${likeKey(column, keyId)})`);
  }
  return total;
}

/** One stored value and the id of its row. */
export interface StoredRow {
  id: string;
  value: string;
}

/** Up to `limit` non-null values of a column in id order, after `afterId`. */
export async function readBatch(
  tx: Executor,
  column: EncryptedColumn,
  afterId: string | null,
  limit: number,
): Promise<StoredRow[]> {
  // Identifiers come from the static registry; values are bound parameters.
  const after = afterId === null ? sql`` : sql`and ${sql.ref(column.idColumn)} > ${afterId}`;
  const result = await sql<StoredRow>`
    select ${sql.ref(column.idColumn)} as id, ${sql.ref(column.column)} as value
    from ${sql.table(column.table)}
    where ${sql.ref(column.column)} is not null ${after}
    order by ${sql.ref(column.idColumn)}
    limit ${limit}
  `.execute(tx);
  return result.rows;
}

/**
 * Replaces a value only if the row still holds the value read (compare-and-set), so a concurrent
 * write is never overwritten with something older. Returns 1 when it replaced, else 0.
 */
export async function replaceIfUnchanged(
  tx: Executor,
  column: EncryptedColumn,
  row: StoredRow,
  fresh: string,
): Promise<number> {
  const result = await sql`
    update ${sql.table(column.table)} set ${sql.ref(column.column)} = ${fresh}
    where ${sql.ref(column.idColumn)} = ${row.id} and ${sql.ref(column.column)} = ${row.value}
  `.execute(tx);
  return Number(result.numAffectedRows ?? 0n);
}
