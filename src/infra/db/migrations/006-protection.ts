import type { Kysely } from 'kysely';

import type { Migration } from './migration.js';

/**
 * API keys and blocked client addresses. Rate-limit counters and threat scores are short-lived
 * and live in memory or Redis, not here.
 */
export const protection: Migration = {
  name: '006-protection',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('restaurant_id', 'text', (c) => c.notNull().references('restaurants.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('key_hash', 'text', (c) => c.notNull().unique())
      .addColumn('key_prefix', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('rate_class', 'text', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_by', 'text')
      .execute();
    await db.schema
      .createIndex('api_keys_restaurant_created')
      .on('api_keys')
      .columns(['restaurant_id', 'created_at', 'id'])
      .execute();

    await db.schema
      .createTable('blocked_ips')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('restaurant_id', 'text', (c) => c.references('restaurants.id'))
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('removed_at', 'text')
      .addColumn('removed_by', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('blocked_ips_address')
      .on('blocked_ips')
      .columns(['address', 'expires_at'])
      .execute();
    await db.schema
      .createIndex('blocked_ips_updated')
      .on('blocked_ips')
      .column('updated_at')
      .execute();
  },
};
