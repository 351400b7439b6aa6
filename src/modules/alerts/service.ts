import type { AppContext } from '../../app/context.js';
import type { AuditEventInput } from '../../audit/events.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { actorOf, type Principal } from '../../security/authz/principal.js';
import { decodeSeqCursor, encodeSeqCursor } from '../audit/cursor.js';
import { SecurityAlertsRepository } from './repository.js';
import type { AlertView, ListAlertsQuery } from './schemas.js';

/**
 * The caller's restaurant's security alerts, newest first, each with its webhook delivery state.
 * Alerts restate audit entries, so reading them is recorded as an audit access too.
 */
export async function listAlerts(
  context: AppContext,
  principal: Principal,
  query: ListAlertsQuery,
  source: AuditEventInput['source'],
): Promise<{ items: AlertView[]; nextCursor: string | null }> {
  const limit = query.limit ?? 50;
  const beforeSeq = query.cursor ? decodeSeqCursor(query.cursor) : undefined;

  return inTransaction(context.database, async (tx) => {
    const rows = await new SecurityAlertsRepository(tx, principal.restaurantId).list({
      limit: limit + 1,
      ...(beforeSeq !== undefined ? { beforeSeq } : {}),
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);

    await context.audit.record(tx, {
      type: 'audit_access',
      action: 'alerts.list',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'security_alerts', id: principal.restaurantId },
      details: { resultCount: page.length },
    });
    return {
      items: page.map((row): AlertView => ({
        id: row.id,
        auditEventId: row.audit_event_id,
        seq: row.seq,
        eventType: row.event_type,
        action: row.action,
        outcome: row.outcome,
        riskScore: row.risk_score,
        occurredAt: row.occurred_at,
        createdAt: row.created_at,
        delivery: {
          status: row.delivery_status ?? 'not_configured',
          attempts: row.delivery_attempts ?? 0,
          lastError: row.delivery_last_error,
          deliveredAt: row.delivered_at,
        },
      })),
      nextCursor: rows.length > limit && last ? encodeSeqCursor(last.seq) : null,
    };
  });
}
