import type { AlertSink, RecordedAuditEvent } from '../../audit/recorder.js';
import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Executor } from '../../infra/db/database.js';

export interface AlertOutboxDeps {
  clock: Clock;
  ids: IdGenerator;
  /** Queue webhook deliveries; without a configured webhook alerts are only stored. */
  webhookConfigured: boolean;
}

/**
 * The webhook body for an alert. It carries the audit entry's already allow-listed fields and its
 * anonymized address prefix, never the address hash or anything the trail does not hold.
 */
export function alertPayload(alertId: string, entry: RecordedAuditEvent, createdAt: string) {
  return {
    type: 'chefia.security_alert',
    alertId,
    createdAt,
    restaurantId: entry.restaurant_id,
    event: {
      id: entry.id,
      chainId: entry.chain_id,
      seq: entry.seq,
      occurredAt: entry.occurred_at,
      eventType: entry.event_type,
      action: entry.action,
      outcome: entry.outcome,
      riskScore: entry.risk_score,
      actor: { type: entry.actor_type, id: entry.actor_id, role: entry.actor_role },
      source: { ipPrefix: entry.ip_prefix, requestId: entry.request_id },
      resource: entry.resource_type ? { type: entry.resource_type, id: entry.resource_id } : null,
      details: JSON.parse(entry.details) as Record<string, unknown>,
    },
  };
}

/**
 * Raises alerts inside the audit entry's transaction: a `security_alerts` row always, and an
 * `alert_outbox` row when a webhook is configured, so the delivery survives a crash or restart
 * between the commit and the send.
 */
export function alertOutbox(deps: AlertOutboxDeps): AlertSink {
  return {
    async raise(tx: Executor, entry: RecordedAuditEvent): Promise<void> {
      const now = deps.clock.now().toISOString();
      const alertId = deps.ids();

      await tx
        .insertInto('security_alerts')
        .values({
          id: alertId,
          restaurant_id: entry.restaurant_id,
          audit_event_id: entry.id,
          chain_id: entry.chain_id,
          seq: entry.seq,
          event_type: entry.event_type,
          action: entry.action,
          outcome: entry.outcome,
          risk_score: entry.risk_score,
          occurred_at: entry.occurred_at,
          created_at: now,
        })
        .execute();
      if (!deps.webhookConfigured) return;

      await tx
        .insertInto('alert_outbox')
        .values({
          id: deps.ids(),
          alert_id: alertId,
          payload: JSON.stringify(alertPayload(alertId, entry, now)),
          status: 'pending',
          attempts: 0,
          next_attempt_at: now,
          last_error: null,
          last_status: null,
          created_at: now,
          updated_at: now,
          delivered_at: null,
        })
        .execute();
    },
  };
}
