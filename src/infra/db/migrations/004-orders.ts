import type { Kysely } from 'kysely';

import type { Migration } from './migration.js';

/**
 * Orders, their items, the per-day order number counters, kitchen tickets and the kitchen
 * display's event log (each restaurant's events numbered by its own counter, so a display that
 * reconnects can ask for everything after the last id it saw).
 */
export const orders: Migration = {
  name: '004-orders',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('orders')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('restaurant_id', 'text', (c) => c.notNull().references('restaurants.id'))
      .addColumn('number', 'integer', (c) => c.notNull())
      .addColumn('business_date', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('table_label', 'text')
      .addColumn('customer_id', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('subtotal_cents', 'integer', (c) => c.notNull())
      .addColumn('discount_cents', 'integer', (c) => c.notNull())
      .addColumn('service_fee_cents', 'integer', (c) => c.notNull())
      .addColumn('total_cents', 'integer', (c) => c.notNull())
      .addColumn('paid_cents', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('notes', 'text')
      .addColumn('cancel_reason', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'text')
      .addColumn('deleted_at', 'text')
      .addColumn('deleted_by', 'text')
      .addUniqueConstraint('orders_number_per_day', ['restaurant_id', 'business_date', 'number'])
      .execute();
    await db.schema
      .createIndex('orders_restaurant_created')
      .on('orders')
      .columns(['restaurant_id', 'created_at'])
      .execute();
    await db.schema
      .createIndex('orders_restaurant_status')
      .on('orders')
      .columns(['restaurant_id', 'status'])
      .execute();
    await db.schema
      .createIndex('orders_restaurant_customer')
      .on('orders')
      .columns(['restaurant_id', 'customer_id'])
      .execute();

    await db.schema
      .createTable('order_items')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('restaurant_id', 'text', (c) => c.notNull().references('restaurants.id'))
      .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
      .addColumn('product_id', 'text', (c) => c.notNull())
      .addColumn('product_name', 'text', (c) => c.notNull())
      .addColumn('unit_price_cents', 'integer', (c) => c.notNull())
      .addColumn('quantity', 'integer', (c) => c.notNull())
      .addColumn('notes', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'text')
      .addColumn('voided_at', 'text')
      .addColumn('voided_by', 'text')
      .addColumn('void_reason', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('ticket_id', 'text')
      .addColumn('position', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('order_items_order').on('order_items').column('order_id').execute();
    await db.schema
      .createIndex('order_items_ticket')
      .on('order_items')
      .column('ticket_id')
      .execute();

    await db.schema
      .createTable('order_counters')
      .addColumn('restaurant_id', 'text', (c) => c.notNull())
      .addColumn('business_date', 'text', (c) => c.notNull())
      .addColumn('last_number', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('order_counters_pk', ['restaurant_id', 'business_date'])
      .execute();

    await db.schema
      .createTable('kitchen_tickets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('restaurant_id', 'text', (c) => c.notNull().references('restaurants.id'))
      .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
      .addColumn('order_number', 'integer', (c) => c.notNull())
      .addColumn('order_type', 'text', (c) => c.notNull())
      .addColumn('table_label', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('kitchen_tickets_restaurant_status')
      .on('kitchen_tickets')
      .columns(['restaurant_id', 'status', 'created_at'])
      .execute();
    await db.schema
      .createIndex('kitchen_tickets_order')
      .on('kitchen_tickets')
      .column('order_id')
      .execute();

    await db.schema
      .createTable('kds_event_counters')
      .addColumn('restaurant_id', 'text', (c) => c.primaryKey())
      .addColumn('last_seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('kds_events')
      .addColumn('restaurant_id', 'text', (c) => c.notNull().references('restaurants.id'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('ticket_id', 'text', (c) => c.notNull())
      .addColumn('order_id', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('kds_events_pk', ['restaurant_id', 'seq'])
      .execute();
  },
};
