import type { Kysely } from 'kysely';

import type { Migration } from './migration.js';

/**
 * Payments of an order by status. Taking a payment sums the order's pending ones (an unconfirmed
 * PIX charge holds its amount); with the index on `order_id` alone, that sum read every payment
 * row of the order. The new index still serves lookups by order alone, so it replaces that one.
 */
export const paymentLookups: Migration = {
  name: '008-payment-lookups',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('payments_order_status')
      .on('payments')
      .columns(['order_id', 'status'])
      .execute();
    await db.schema.dropIndex('payments_order').execute();
  },
};
