import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import { ERROR_CATALOG } from '../../core/errors.js';

/** A value any module can expose as a gauge, read at scrape time. */
export interface GaugeSource {
  /** Prometheus name, `chefia_` prefixed, snake_case. */
  name: string;
  help: string;
  read: () => number | Promise<number>;
}

/** What the audit recorder tells the metrics about each entry it wrote. */
export interface AuditEntrySummary {
  event_type: string;
  risk_score: number;
}

export type AlertDeliveryOutcome = 'delivered' | 'retry' | 'failed';

export interface MetricsOptions {
  /** Also export process metrics (CPU, memory, event-loop lag); off in tests. */
  processMetrics?: boolean;
  /** Events scored above this raise an alert; counted as alerts created. */
  alertThreshold: number;
}

const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The server's Prometheus metrics. Each context owns its own registry rather than prom-client's
 * global one, so that tests (and the CLI) can build many contexts in one process without metric
 * names colliding.
 */
export class AppMetrics {
  readonly registry = new Registry();
  readonly #alertThreshold: number;

  readonly httpRequests = new Counter({
    name: 'chefia_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'chefia_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly rejections = new Counter({
    name: 'chefia_http_rejections_total',
    help: 'Error responses by error code (POS_ERR_...).',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'chefia_rate_limited_requests_total',
    help: 'Requests refused by a rate limit (POS_ERR_RATE_LIMITED).',
    registers: [this.registry],
  });

  readonly rateLimitFallbacks = new Counter({
    name: 'chefia_rate_limit_fallbacks_total',
    help: 'Times the rate limiter lost Redis and fell back to per-process counters.',
    registers: [this.registry],
  });

  readonly blocked = new Counter({
    name: 'chefia_blocked_requests_total',
    help: 'Requests refused because their source address is blocked (POS_ERR_IP_BLOCKED).',
    registers: [this.registry],
  });

  readonly loginFailures = new Counter({
    name: 'chefia_login_failures_total',
    help: 'Failed logins and manager approvals, as recorded in the audit trail.',
    registers: [this.registry],
  });

  readonly alertsCreated = new Counter({
    name: 'chefia_security_alerts_total',
    help: 'Security alerts raised (audit events scored above the alert threshold).',
    registers: [this.registry],
  });

  readonly alertDeliveries = new Counter({
    name: 'chefia_alert_deliveries_total',
    help: 'Alert webhook delivery attempts by outcome (delivered, retry, failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(options: MetricsOptions) {
    this.#alertThreshold = options.alertThreshold;
    if (options.processMetrics) {
      collectDefaultMetrics({ register: this.registry, prefix: 'chefia_' });
    }
  }

  /**
   * Exposes a value owned by another module (the rate limiter's Redis fallback state, the alert
   * outbox depth) as a gauge read on every scrape. Registering the same name twice is a bug and
   * throws.
   */
  registerGauge(source: GaugeSource): void {
    const { read } = source;
    new Gauge({
      name: source.name,
      help: source.help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }

  /** Counts what an audit entry says about security: login failures and alerts. */
  observeAuditEntry(entry: AuditEntrySummary): void {
    if (entry.event_type === 'login_failure') this.loginFailures.inc();
    if (entry.risk_score > this.#alertThreshold) this.alertsCreated.inc();
  }

  /** Counts an error response by its code; codes outside the catalog count as `other`. */
  observeRejection(code: string): void {
    this.rejections.inc({ code: code in ERROR_CATALOG ? code : 'other' });
    if (code === 'POS_ERR_RATE_LIMITED') this.rateLimited.inc();
    if (code === 'POS_ERR_IP_BLOCKED') this.blocked.inc();
  }

  /** The exposition text and its content type, for whichever listener serves it. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/**
 * 1 while Redis is configured but not connected: rate limits, revocations and IP blocks are then
 * kept per process (the documented fallback), which an operator should notice.
 */
export function redisFallbackGauge(redis: { status: string } | null): GaugeSource {
  return {
    name: 'chefia_redis_fallback',
    help: '1 when Redis is configured but unavailable and per-process state is used instead.',
    read: () => (redis !== null && redis.status !== 'ready' ? 1 : 0),
  };
}
