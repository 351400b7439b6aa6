import { sql, type Kysely } from 'kysely';

import type { Migration } from './migration.js';

/** Restaurants, the audit trail with its hash chain, data keys and system state. */
export const foundation: Migration = {
  name: '001-foundation',
  async up(db: Kysely<unknown>, dialect) {
    await db.schema
      .createTable('restaurants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('slug', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('timezone', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('service_fee_basis_points', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('pix_key', 'text')
      .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('chain_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('restaurant_id', 'text')
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('actor_type', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('actor_role', 'text')
      .addColumn('ip_prefix', 'text')
      .addColumn('ip_hash', 'text')
      .addColumn('request_id', 'text')
      .addColumn('resource_type', 'text')
      .addColumn('resource_id', 'text')
      .addColumn('risk_score', 'integer', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addUniqueConstraint('audit_events_chain_seq_unique', ['chain_id', 'seq'])
      .execute();
    await db.schema
      .createIndex('audit_events_restaurant_time')
      .on('audit_events')
      .columns(['restaurant_id', 'occurred_at'])
      .execute();
    await db.schema
      .createIndex('audit_events_type_time')
      .on('audit_events')
      .columns(['event_type', 'occurred_at'])
      .execute();

    await db.schema
      .createTable('audit_chain_heads')
      .addColumn('chain_id', 'text', (c) => c.primaryKey())
      .addColumn('last_seq', 'integer', (c) => c.notNull())
      .addColumn('last_hash', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('audit_archives')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('chain_id', 'text', (c) => c.notNull())
      .addColumn('through_seq', 'integer', (c) => c.notNull())
      .addColumn('anchor_hash', 'text', (c) => c.notNull())
      .addColumn('before', 'text', (c) => c.notNull())
      .addColumn('entry_count', 'integer', (c) => c.notNull())
      .addColumn('manifest_sha256', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await makeAuditAppendOnly(db, dialect);

    await db.schema
      .createTable('data_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('wrapped_key', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('retired_at', 'text')
      .execute();

    await db.schema
      .createTable('system_state')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
};

/**
 * The database itself refuses to change or delete audit entries; the only deletion it allows is
 * of entries an archive has already exported (`audit_archives.through_seq`), so that pruning
 * keeps the rest of the chain verifiable.
 */
async function makeAuditAppendOnly(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres') {
  if (dialect === 'sqlite') {
    await sql`
      CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
      BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
    `.execute(db);
    await sql`
      CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
      WHEN NOT EXISTS (
        SELECT 1 FROM audit_archives a
        WHERE a.chain_id = OLD.chain_id AND OLD.seq <= a.through_seq
      )
      BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
    `.execute(db);
    return;
  }

  await sql`
    CREATE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM audit_archives a
        WHERE a.chain_id = OLD.chain_id AND OLD.seq <= a.through_seq
      ) THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'audit_events is append-only';
    END
    $$
  `.execute(db);
  await sql`
    CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_guard()
  `.execute(db);
}
