import type { Kysely } from 'kysely';

import type { Migration } from './migration.js';

/** Security alerts raised from the audit trail, and the outbox of their webhook deliveries. */
export const monitoring: Migration = {
  name: '007-monitoring',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('security_alerts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('restaurant_id', 'text')
      // No foreign key to audit_events: archiving prunes entries, the alert stays.
      .addColumn('audit_event_id', 'text', (c) => c.notNull().unique())
      .addColumn('chain_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('risk_score', 'integer', (c) => c.notNull())
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('security_alerts_restaurant_seq')
      .on('security_alerts')
      .columns(['restaurant_id', 'seq'])
      .execute();

    await db.schema
      .createTable('alert_outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('alert_id', 'text', (c) =>
        c.notNull().unique().references('security_alerts.id').onDelete('cascade'),
      )
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('last_status', 'integer')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('delivered_at', 'text')
      .execute();
    await db.schema
      .createIndex('alert_outbox_due')
      .on('alert_outbox')
      .columns(['status', 'next_attempt_at'])
      .execute();
  },
};
