import { sql, type RawBuilder } from 'kysely';

/**
 * Escapes LIKE's wildcards (`%`, `_`) and the escape character itself, so a search for "50%"
 * finds "50%" and not everything starting with "50".
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * A case-insensitive "contains" condition on a column, spelt the same on SQLite and PostgreSQL
 * (lower() on both sides, explicit backslash escape). The search text is a bound parameter.
 */
export function containsIgnoringCase(column: string, text: string): RawBuilder<boolean> {
  const pattern = `%${escapeLike(text.toLowerCase())}%`;
  return sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}
