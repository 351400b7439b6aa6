import type { Transaction } from 'kysely';

import type { Database } from './database.js';
import type { DatabaseSchema } from './schema.js';

export type Tx = Transaction<DatabaseSchema>;

/**
 * Runs `work` in one transaction: everything it writes commits together or not at all. Services
 * use this for every multi-step write so that no order, payment or refund is ever half-written.
 */
export async function inTransaction<T>(
  database: Database,
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  return database.transaction(work);
}
