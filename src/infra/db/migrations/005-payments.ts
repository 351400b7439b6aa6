import { sql, type Kysely } from 'kysely';

import type { Migration } from './migration.js';

/**
 * Cash drawer sessions and their movements, payments, refunds, idempotency keys and received PIX
 * webhook events. Money invariants that must hold whatever the code does (a refund never above
 * its payment, no negative amounts, one open drawer per operator and per terminal) are also
 * constraints here, so a bug or a race fails a write instead of corrupting the books.
 */
export const payments: Migration = {
  name: '005-payments',
  async up(db: Kysely<unknown>) {
    await createCashierTables(db);
    await createPaymentTables(db);
    await createIdempotencyTables(db);
  },
};

async function createCashierTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cashier_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('restaurant_id', 'text', (c) => c.notNull().references('restaurants.id'))
    .addColumn('operator_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('terminal_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('opening_float_cents', 'integer', (c) => c.notNull())
    .addColumn('expected_cents', 'integer')
    .addColumn('counted_cents', 'integer')
    .addColumn('difference_cents', 'integer')
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'text')
    .addColumn('closed_by', 'text')
    .addCheckConstraint('cashier_sessions_float_not_negative', sql`opening_float_cents >= 0`)
    .execute();
  // Partial unique indexes: closed sessions pile up freely, open ones are one per operator and
  // one per terminal, even when two requests race to open them.
  await db.schema
    .createIndex('cashier_sessions_one_open_per_operator')
    .unique()
    .on('cashier_sessions')
    .columns(['restaurant_id', 'operator_id'])
    .where(sql.ref('status'), '=', 'open')
    .execute();
  await db.schema
    .createIndex('cashier_sessions_one_open_per_terminal')
    .unique()
    .on('cashier_sessions')
    .columns(['restaurant_id', 'terminal_id'])
    .where(sql.ref('status'), '=', 'open')
    .execute();
  await db.schema
    .createIndex('cashier_sessions_restaurant_opened')
    .on('cashier_sessions')
    .columns(['restaurant_id', 'opened_at'])
    .execute();

  await db.schema
    .createTable('cashier_movements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('restaurant_id', 'text', (c) => c.notNull().references('restaurants.id'))
    .addColumn('session_id', 'text', (c) => c.notNull().references('cashier_sessions.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('amount_cents', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('performed_by', 'text', (c) => c.notNull())
    .addColumn('approved_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint('cashier_movements_amount_positive', sql`amount_cents > 0`)
    .execute();
  await db.schema
    .createIndex('cashier_movements_session')
    .on('cashier_movements')
    .column('session_id')
    .execute();
}

async function createPaymentTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('payments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('restaurant_id', 'text', (c) => c.notNull().references('restaurants.id'))
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('amount_cents', 'integer', (c) => c.notNull())
    .addColumn('refunded_cents', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tendered_cents', 'integer')
    .addColumn('change_cents', 'integer')
    .addColumn('cashier_session_id', 'text', (c) => c.references('cashier_sessions.id'))
    .addColumn('card_entry', 'text')
    .addColumn('card_brand', 'text')
    .addColumn('card_last4', 'text')
    .addColumn('card_masked', 'text')
    .addColumn('authorization_code', 'text')
    .addColumn('nsu', 'text')
    .addColumn('pan_encrypted', 'text')
    .addColumn('pan_hash', 'text')
    .addColumn('voucher_provider', 'text')
    .addColumn('pix_txid', 'text', (c) => c.unique())
    .addColumn('pix_payload', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('captured_at', 'text')
    .addColumn('captured_by', 'text')
    .addColumn('cancelled_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addCheckConstraint('payments_amount_positive', sql`amount_cents > 0`)
    .addCheckConstraint(
      'payments_refunds_bounded',
      sql`refunded_cents >= 0 AND refunded_cents <= amount_cents`,
    )
    .execute();
  await db.schema
    .createIndex('payments_restaurant_created')
    .on('payments')
    .columns(['restaurant_id', 'created_at', 'id'])
    .execute();
  await db.schema.createIndex('payments_order').on('payments').column('order_id').execute();
  await db.schema
    .createIndex('payments_cashier_session')
    .on('payments')
    .column('cashier_session_id')
    .execute();
  await db.schema
    .createIndex('payments_pan_hash')
    .on('payments')
    .columns(['restaurant_id', 'pan_hash'])
    .execute();

  await db.schema
    .createTable('refunds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('restaurant_id', 'text', (c) => c.notNull().references('restaurants.id'))
    .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.id'))
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('amount_cents', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('cashier_session_id', 'text', (c) => c.references('cashier_sessions.id'))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('approved_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint('refunds_amount_positive', sql`amount_cents > 0`)
    .execute();
  await db.schema.createIndex('refunds_payment').on('refunds').column('payment_id').execute();
  await db.schema
    .createIndex('refunds_cashier_session')
    .on('refunds')
    .column('cashier_session_id')
    .execute();
}

async function createIdempotencyTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('restaurant_id', 'text', (c) => c.notNull().references('restaurants.id'))
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('claim_token', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('locked_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['restaurant_id', 'idempotency_key'])
    .execute();
  await db.schema
    .createIndex('idempotency_keys_created')
    .on('idempotency_keys')
    .column('created_at')
    .execute();

  await db.schema
    .createTable('pix_webhook_events')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('restaurant_id', 'text', (c) => c.notNull().references('restaurants.id'))
    .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.id'))
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute();
}
