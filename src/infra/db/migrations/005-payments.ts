import type { Kysely } from 'kysely';

import type { Migration } from './migration.js';

/** Filled in by its feature. */
export const payments: Migration = {
  name: '005-payments',
  async up(_db: Kysely<unknown>) {
    return Promise.resolve();
  },
};
