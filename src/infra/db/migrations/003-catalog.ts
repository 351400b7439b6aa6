import type { Kysely } from 'kysely';

import type { Migration } from './migration.js';

/** Filled in by its feature. */
export const catalog: Migration = {
  name: '003-catalog',
  async up(_db: Kysely<unknown>) {
    return Promise.resolve();
  },
};
