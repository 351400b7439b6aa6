import type { AlertSink } from '../../audit/recorder.js';
import type { AppConfig } from '../../config/config.js';
import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Database } from '../../infra/db/database.js';
import type { Logger } from '../../infra/logging/logger.js';
import type { AppMetrics } from '../../infra/metrics/metrics.js';
import { AlertDispatcher, DEFAULT_POLL_INTERVAL_MS, pendingDeliveries } from './dispatcher.js';
import { alertOutbox } from './outbox.js';
import {
  httpsTransport,
  systemResolver,
  type HostResolver,
  type WebhookTransport,
} from './webhook.js';

/** How alerts leave the process; tests inject all three and never touch the network. */
export interface AlertDeliveryOptions {
  transport?: WebhookTransport;
  resolver?: HostResolver;
  pollIntervalMs?: number;
}

export interface AlertingDeps {
  config: AppConfig;
  database: Database;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  metrics: AppMetrics;
}

/**
 * Wires alerting for one context: the sink the audit recorder raises alerts into, and, when a
 * webhook is configured, the dispatcher that delivers them (started by the caller).
 */
export function createAlerting(
  deps: AlertingDeps,
  options: AlertDeliveryOptions = {},
): { sink: AlertSink; dispatcher: AlertDispatcher | null } {
  const { webhookUrl, webhookSecret, allowPrivate } = deps.config.alerts;
  const sink = alertOutbox({
    clock: deps.clock,
    ids: deps.ids,
    webhookConfigured: Boolean(webhookUrl),
  });
  deps.metrics.registerGauge({
    name: 'chefia_alert_outbox_pending',
    help: 'Alert webhook deliveries not yet delivered or given up.',
    read: () => pendingDeliveries(deps.database.kysely),
  });
  if (!webhookUrl || !webhookSecret) return { sink, dispatcher: null };

  const dispatcher = new AlertDispatcher({
    database: deps.database,
    clock: deps.clock,
    logger: deps.logger,
    target: { url: webhookUrl, secret: webhookSecret, allowPrivate },
    resolver: options.resolver ?? systemResolver,
    transport: options.transport ?? httpsTransport(),
    pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    onOutcome: (outcome) => deps.metrics.alertDeliveries.inc({ outcome }),
  });
  return { sink, dispatcher };
}
