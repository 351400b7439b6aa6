import type { Kysely } from 'kysely';

import type { DialectName } from '../database.js';

/** One schema change. Migrations receive the dialect for the few statements that differ. */
export interface Migration {
  name: string;
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>;
}
