import type { Clock } from '../../core/clock.js';
import type { Database, Executor } from '../../infra/db/database.js';
import type { Logger } from '../../infra/logging/logger.js';
import type { AlertDeliveryOutcome } from '../../infra/metrics/metrics.js';
import {
  sendWebhook,
  type DeliveryResult,
  type HostResolver,
  type WebhookTarget,
  type WebhookTransport,
} from './webhook.js';

/** Attempts before a delivery is marked failed (and stays visible as such). */
export const MAX_DELIVERY_ATTEMPTS = 8;

/** Default outbox poll interval. */
export const DEFAULT_POLL_INTERVAL_MS = 5000;

const BACKOFF_BASE_MS = 5000;
const BACKOFF_MAX_MS = 60 * 60 * 1000;
/** How long a claimed row is hidden from other dispatchers: well over one attempt's timeouts. */
const LEASE_MS = 60_000;
const BATCH_SIZE = 20;

/** Wait after the `attempts`-th failed attempt: 5 s, 10 s, 20 s … capped at an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(attempts - 1, 0), BACKOFF_MAX_MS);
}

export interface AlertDispatcherDeps {
  database: Database;
  clock: Clock;
  logger: Logger;
  target: WebhookTarget;
  resolver: HostResolver;
  transport: WebhookTransport;
  pollIntervalMs: number;
  /** Told the outcome of each attempt (metrics). */
  onOutcome?: (outcome: AlertDeliveryOutcome) => void;
}

export interface DispatchSummary {
  delivered: number;
  retrying: number;
  failed: number;
}

/**
 * Sends the alert outbox to the webhook. Any number of processes may run one: each row is claimed
 * with a conditional update (its `next_attempt_at` moves forward as a lease) before it is sent,
 * so two dispatchers never send the same attempt, and a process that dies mid-send leaves the row
 * to be retried when the lease runs out.
 */
export class AlertDispatcher {
  readonly #deps: AlertDispatcherDeps;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<DispatchSummary> | null = null;

  constructor(deps: AlertDispatcherDeps) {
    this.#deps = deps;
  }

  /** Polls on an unref'd timer, so a pending alert never keeps the process alive by itself. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#running) return;
      this.dispatchDue().catch((error: unknown) => {
        this.#deps.logger.error({ err: error }, 'alert dispatch pass failed');
      });
    }, this.#deps.pollIntervalMs);
    this.#timer.unref();
  }

  /** Stops polling and waits for a pass in progress, so the database can be closed after it. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => undefined);
  }

  /** One pass over the due rows of the outbox. */
  async dispatchDue(): Promise<DispatchSummary> {
    const run = this.#pass();
    this.#running = run;
    try {
      return await run;
    } finally {
      if (this.#running === run) this.#running = null;
    }
  }

  async #pass(): Promise<DispatchSummary> {
    const db = this.#deps.database.kysely;
    const summary: DispatchSummary = { delivered: 0, retrying: 0, failed: 0 };
    const due = await db
      .selectFrom('alert_outbox')
      .select(['id', 'alert_id', 'payload', 'attempts', 'next_attempt_at'])
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', this.#deps.clock.now().toISOString())
      .orderBy('next_attempt_at', 'asc')
      .limit(BATCH_SIZE)
      .execute();

    for (const row of due) {
      const lease = await this.#claim(db, row.id, row.next_attempt_at);
      if (!lease) continue;

      const result = await sendWebhook(this.#deps.target, row.payload, this.#deps);
      const outcome = await this.#settle(db, row, lease, result);
      if (outcome === 'delivered') summary.delivered += 1;
      else if (outcome === 'retry') summary.retrying += 1;
      else summary.failed += 1;
      this.#deps.onOutcome?.(outcome);
    }
    return summary;
  }

  /** Takes the row if nobody else has since it was read; returns the lease it now carries. */
  async #claim(db: Executor, id: string, seenNextAttempt: string): Promise<string | null> {
    const now = this.#deps.clock.now();
    const lease = new Date(now.getTime() + LEASE_MS).toISOString();
    const claimed = await db
      .updateTable('alert_outbox')
      .set({ next_attempt_at: lease, updated_at: now.toISOString() })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '=', seenNextAttempt)
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) === 1 ? lease : null;
  }

  async #settle(
    db: Executor,
    row: { id: string; alert_id: string; attempts: number },
    lease: string,
    result: DeliveryResult,
  ): Promise<AlertDeliveryOutcome> {
    const now = this.#deps.clock.now();
    const attempts = row.attempts + 1;
    const base = { attempts, updated_at: now.toISOString() };
    const update = db
      .updateTable('alert_outbox')
      .where('id', '=', row.id)
      .where('next_attempt_at', '=', lease);

    if (result.ok) {
      await update
        .set({
          ...base,
          status: 'delivered',
          delivered_at: now.toISOString(),
          last_status: result.status,
          last_error: null,
        })
        .execute();
      return 'delivered';
    }

    const exhausted = attempts >= MAX_DELIVERY_ATTEMPTS;
    const failure = { alertId: row.alert_id, attempts, reason: result.reason };
    if (exhausted) this.#deps.logger.error(failure, 'alert delivery failed for good');
    else this.#deps.logger.warn(failure, 'alert delivery failed; will retry');

    await update
      .set({
        ...base,
        status: exhausted ? 'failed' : 'pending',
        next_attempt_at: new Date(now.getTime() + backoffMs(attempts)).toISOString(),
        last_error: result.refused ? `${result.reason}:${result.refused}` : result.reason,
        last_status: result.status ?? null,
      })
      .execute();
    return exhausted ? 'failed' : 'retry';
  }
}

/** Deliveries still owed, for the outbox-depth gauge. */
export async function pendingDeliveries(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('alert_outbox')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
