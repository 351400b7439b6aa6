import type { AuditEventsTable } from '../../src/infra/db/schema.js';
import type { TestApp } from './app.js';

/** Fields an audit query can require; every one given must match. */
export interface AuditMatch {
  restaurantId?: string;
  type?: string;
  action?: string;
  actorId?: string;
  resourceId?: string;
  requestId?: string;
}

/** The stored audit entries matching every field of `match`, oldest first. */
export async function auditEntries(t: TestApp, match: AuditMatch): Promise<AuditEventsTable[]> {
  let query = t.context.database.kysely.selectFrom('audit_events').selectAll();
  if (match.restaurantId) query = query.where('restaurant_id', '=', match.restaurantId);
  if (match.type) query = query.where('event_type', '=', match.type);
  if (match.action) query = query.where('action', '=', match.action);
  if (match.actorId) query = query.where('actor_id', '=', match.actorId);
  if (match.resourceId) query = query.where('resource_id', '=', match.resourceId);
  if (match.requestId) query = query.where('request_id', '=', match.requestId);
  return query.orderBy('occurred_at').orderBy('seq').execute();
}

/** An audit entry's details, parsed; `undefined` when there is no entry to read. */
export function detailsOf(entry: AuditEventsTable): Record<string, unknown>;
export function detailsOf(entry: AuditEventsTable | undefined): Record<string, unknown> | undefined;
export function detailsOf(
  entry: AuditEventsTable | undefined,
): Record<string, unknown> | undefined {
  return entry ? (JSON.parse(entry.details) as Record<string, unknown>) : undefined;
}
