import { createHmac } from 'node:crypto';

import type { AuditEventsTable } from '../infra/db/schema.js';

/** The hash an empty chain starts from. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields an entry's hash covers, in a fixed order: everything but the hash itself. */
type HashedFields = Omit<AuditEventsTable, 'hash'>;

/**
 * HMAC-SHA-256, under a key derived from the master key, over the previous entry's hash and this
 * entry's fields. Any edit, deletion, insertion or reordering changes some entry's expected hash,
 * which is what verification looks for; the key means that someone who can write to the
 * database, but does not hold the master key, cannot recompute the chain to hide a change.
 */
export function entryHash(key: Buffer, entry: HashedFields): string {
  const canonical = JSON.stringify([
    entry.id,
    entry.chain_id,
    entry.seq,
    entry.restaurant_id,
    entry.occurred_at,
    entry.event_type,
    entry.action,
    entry.outcome,
    entry.actor_type,
    entry.actor_id,
    entry.actor_role,
    entry.ip_prefix,
    entry.ip_hash,
    entry.request_id,
    entry.resource_type,
    entry.resource_id,
    entry.risk_score,
    entry.details,
  ]);
  return createHmac('sha256', key)
    .update(entry.prev_hash)
    .update('\n')
    .update(canonical)
    .digest('hex');
}

/** Serializes details with sorted keys so the same details always hash the same. */
export function canonicalDetails(details: Record<string, unknown>): string {
  const sorted = Object.keys(details)
    .sort()
    .map((key) => [key, details[key]] as const);
  return JSON.stringify(Object.fromEntries(sorted));
}
