import type { AppContext } from '../../app/context.js';
import type { AuditEventInput } from '../../audit/events.js';
import { verifyChain, type ChainVerification } from '../../audit/verify.js';
import type { AuditEventsTable } from '../../infra/db/schema.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { actorOf, type Principal } from '../../security/authz/principal.js';
import { decodeSeqCursor, encodeSeqCursor } from './cursor.js';
import { AuditEventsRepository } from './repository.js';
import type { AuditEventView, ListAuditEventsQuery } from './schemas.js';

type Source = AuditEventInput['source'];

const FILTER_NAMES = [
  'eventType',
  'action',
  'actorId',
  'outcome',
  'from',
  'to',
  'minRisk',
] as const;

/**
 * Pages through the caller's restaurant's audit trail, newest first. The read is itself recorded
 * (`audit_access`, PCI DSS 10.2.1.3) in the same transaction, with the names of the filters used
 * and the number of entries returned.
 */
export async function listAuditEvents(
  context: AppContext,
  principal: Principal,
  query: ListAuditEventsQuery,
  source: Source,
): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
  const limit = query.limit ?? 50;
  const beforeSeq = query.cursor ? decodeSeqCursor(query.cursor) : undefined;

  return inTransaction(context.database, async (tx) => {
    const rows = await new AuditEventsRepository(tx, principal.restaurantId).list({
      limit: limit + 1,
      ...(beforeSeq !== undefined ? { beforeSeq } : {}),
      ...(query.eventType ? { eventType: query.eventType } : {}),
      ...(query.action ? { action: query.action } : {}),
      ...(query.actorId ? { actorId: query.actorId } : {}),
      ...(query.outcome ? { outcome: query.outcome } : {}),
      ...(query.from ? { from: new Date(query.from).toISOString() } : {}),
      ...(query.to ? { to: new Date(query.to).toISOString() } : {}),
      ...(query.minRisk !== undefined ? { minRisk: query.minRisk } : {}),
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);

    await context.audit.record(tx, {
      type: 'audit_access',
      action: 'audit.list',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'audit_events', id: principal.restaurantId },
      details: {
        filters: FILTER_NAMES.filter((name) => query[name] !== undefined).join(','),
        resultCount: page.length,
      },
    });
    return {
      items: page.map(toAuditEventView),
      nextCursor: rows.length > limit && last ? encodeSeqCursor(last.seq) : null,
    };
  });
}

/**
 * Verifies the caller's restaurant's chain. The check is recorded as an audit access; a broken
 * chain is recorded as a security alert instead, which raises an alert to the webhook.
 */
export async function verifyAuditTrail(
  context: AppContext,
  principal: Principal,
  source: Source,
): Promise<ChainVerification> {
  const result = await verifyChain(
    context.database.kysely,
    context.keys.auditChainKey,
    principal.restaurantId,
  );
  const broken = result.firstBreak;

  await inTransaction(context.database, (tx) =>
    context.audit.record(tx, {
      type: broken ? 'security_alert' : 'audit_access',
      action: 'audit.verify',
      outcome: broken ? 'failure' : 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'audit_events', id: principal.restaurantId },
      details: {
        ok: result.ok,
        checked: result.checked,
        ...(broken ? { breakSeq: broken.seq, breakReason: broken.reason } : {}),
      },
    }),
  );
  return result;
}

export function toAuditEventView(row: AuditEventsTable): AuditEventView {
  return {
    id: row.id,
    seq: row.seq,
    occurredAt: row.occurred_at,
    eventType: row.event_type,
    action: row.action,
    outcome: row.outcome,
    riskScore: row.risk_score,
    actor: { type: row.actor_type, id: row.actor_id, role: row.actor_role },
    source: { ipPrefix: row.ip_prefix, ipHash: row.ip_hash, requestId: row.request_id },
    resource: row.resource_type ? { type: row.resource_type, id: row.resource_id } : null,
    details: JSON.parse(row.details) as AuditEventView['details'],
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
