import type { Kysely } from 'kysely';

import type { Migration } from './migration.js';

/** Filled in by its feature. */
export const protection: Migration = {
  name: '006-protection',
  async up(_db: Kysely<unknown>) {
    return Promise.resolve();
  },
};
