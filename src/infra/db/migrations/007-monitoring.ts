import type { Kysely } from 'kysely';

import type { Migration } from './migration.js';

/** Filled in by its feature. */
export const monitoring: Migration = {
  name: '007-monitoring',
  async up(_db: Kysely<unknown>) {
    return Promise.resolve();
  },
};
