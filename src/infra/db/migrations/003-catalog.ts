import type { Kysely } from 'kysely';

import type { Migration } from './migration.js';

/**
 * Categories and products (soft-deleted, so past orders keep pointing at a real row), customers
 * with their personal data encrypted and blind-indexed, and the bookkeeping that lets a data-key
 * rotation resume where it stopped.
 */
export const catalog: Migration = {
  name: '003-catalog',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('categories')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('restaurant_id', 'text', (c) => c.notNull().references('restaurants.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('categories_restaurant_name_unique', ['restaurant_id', 'name'])
      .execute();

    await db.schema
      .createTable('products')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('restaurant_id', 'text', (c) => c.notNull().references('restaurants.id'))
      .addColumn('category_id', 'text', (c) => c.references('categories.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('price_cents', 'integer', (c) => c.notNull())
      .addColumn('cost_cents', 'integer')
      .addColumn('available', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('stock_quantity', 'integer')
      .addColumn('image_name', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('deleted_at', 'text')
      .addColumn('deleted_by', 'text')
      .execute();
    await db.schema
      .createIndex('products_restaurant_name')
      .on('products')
      .columns(['restaurant_id', 'name', 'id'])
      .execute();

    await db.schema
      .createTable('customers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('restaurant_id', 'text', (c) => c.notNull().references('restaurants.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('cpf_encrypted', 'text')
      .addColumn('cpf_index', 'text')
      .addColumn('cnpj_encrypted', 'text')
      .addColumn('cnpj_index', 'text')
      .addColumn('email_encrypted', 'text')
      .addColumn('email_index', 'text')
      .addColumn('phone_encrypted', 'text')
      .addColumn('phone_index', 'text')
      .addColumn('address_encrypted', 'text')
      .addColumn('birth_date_encrypted', 'text')
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    // NULLs are distinct in a unique index on both dialects, so customers without a CPF coexist.
    await db.schema
      .createIndex('customers_cpf_unique')
      .on('customers')
      .columns(['restaurant_id', 'cpf_index'])
      .unique()
      .execute();
    await db.schema
      .createIndex('customers_cnpj_unique')
      .on('customers')
      .columns(['restaurant_id', 'cnpj_index'])
      .unique()
      .execute();
    await db.schema
      .createIndex('customers_email')
      .on('customers')
      .columns(['restaurant_id', 'email_index'])
      .execute();
    await db.schema
      .createIndex('customers_phone')
      .on('customers')
      .columns(['restaurant_id', 'phone_index'])
      .execute();
    await db.schema
      .createIndex('customers_restaurant_name')
      .on('customers')
      .columns(['restaurant_id', 'name', 'id'])
      .execute();
    // One login per customer record.
    await db.schema
      .createIndex('users_customer_unique')
      .on('users')
      .column('customer_id')
      .unique()
      .execute();

    await db.schema
      .createTable('data_key_rotations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('target_key_id', 'text', (c) => c.notNull().references('data_keys.id'))
      .addColumn('status', 'text', (c) => c.notNull())
      // 'running' while the rotation runs, NULL after: the unique index allows one at a time.
      .addColumn('running_marker', 'text', (c) => c.unique())
      .addColumn('rows_reencrypted', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('completed_at', 'text')
      .execute();

    await db.schema
      .createTable('data_key_rotation_progress')
      .addColumn('rotation_id', 'text', (c) => c.notNull().references('data_key_rotations.id'))
      .addColumn('table_name', 'text', (c) => c.notNull())
      .addColumn('column_name', 'text', (c) => c.notNull())
      .addColumn('last_id', 'text')
      .addColumn('completed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('rows_reencrypted', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('data_key_rotation_progress_pk', [
        'rotation_id',
        'table_name',
        'column_name',
      ])
      .execute();
  },
};
