import { sql, type RawBuilder, type SqlBool } from 'kysely';

import { validationError } from '../../core/errors.js';

/** Where a page ended: the sort key of its last row and that row's id, as a tie-breaker. */
export interface PagePosition {
  key: string;
  id: string;
}

const MAX_PART_LENGTH = 200;

/** An opaque cursor for `nextCursor`; clients pass it back unchanged. */
export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.key, position.id]), 'utf8').toString('base64url');
}

/**
 * Reads a cursor from `encodeCursor`. Anything else is a validation error naming the cursor, never
 * a 500: a cursor is client input like any other.
 */
export function decodeCursor(cursor: string): PagePosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }

  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !parsed.every((part) => typeof part === 'string' && part.length <= MAX_PART_LENGTH)
  ) {
    throw validationError([{ path: 'querystring/cursor', message: 'is not a valid cursor' }]);
  }

  const [key, id] = parsed as [string, string];
  return { key, id };
}

/** One page out of `limit + 1` rows: the extra row only says whether another page exists. */
export function pageOf<Row, View>(
  rows: readonly Row[],
  limit: number,
  position: (row: Row) => PagePosition,
  view: (row: Row) => View,
): { items: View[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > limit && last !== undefined ? encodeCursor(position(last)) : null;
  return { items: page.map(view), nextCursor };
}

/**
 * The keyset condition for the page after `position` of a list sorted by `name`, then `id`. The
 * column names are fixed here and the position's parts are bound parameters.
 */
export function afterNameAndId(position: PagePosition): RawBuilder<SqlBool> {
  return sql<SqlBool>`(name > ${position.key} or (name = ${position.key} and id > ${position.id}))`;
}
