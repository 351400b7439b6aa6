import type { AppContext } from '../../app/context.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { trustedRestaurantId } from '../../infra/db/tenant.js';
import { ApiKeysRepository } from './repository.js';

export interface ApiKeyUse {
  keyId: string;
  restaurantId: string;
  method: string;
  route: string;
  statusCode: number;
  ip: string;
  requestId: string;
}

export interface UsageOptions {
  /** How often last-used times are written. */
  lastUsedFlushMs?: number;
  /** How often queued use records are written to the audit trail. */
  auditFlushMs?: number;
  /** Queued use records that trigger a write at once. */
  auditBatchSize?: number;
  /** Use records held while the database is unreachable; older ones beyond it are dropped. */
  maxQueued?: number;
}

const DEFAULTS: Required<UsageOptions> = {
  lastUsedFlushMs: 30_000,
  auditFlushMs: 1_000,
  auditBatchSize: 200,
  maxQueued: 10_000,
};

/**
 * Keeps the two per-request traces of API keys off the request path:
 * - the last-used time is kept in memory and written every `lastUsedFlushMs` (and at shutdown),
 *   at most one UPDATE per key per flush instead of a write per request;
 * - every use is audited (the issue rules out sampling), but queued and written in batches, one
 *   transaction per batch, after the responses went out.
 * The price is a window: a crash loses up to `auditFlushMs` of use records and `lastUsedFlushMs`
 * of last-used times. Refusals are not batched; they are audited before the 401 is sent.
 */
export class ApiKeyUsage {
  readonly #context: AppContext;
  readonly #options: Required<UsageOptions>;
  readonly #lastUsed = new Map<string, { restaurantId: string; at: string }>();
  #queue: ApiKeyUse[] = [];
  #timers: NodeJS.Timeout[] = [];
  #auditWrite: Promise<void> | null = null;
  #dropped = 0;

  constructor(context: AppContext, options: UsageOptions = {}) {
    this.#context = context;
    this.#options = { ...DEFAULTS, ...options };
  }

  start(): void {
    const onFailure = (what: string) => () => this.#context.logger.error(`${what} failed`);
    this.#timers = [
      setInterval(() => {
        this.flushLastUsed().catch(onFailure('api key last-used flush'));
      }, this.#options.lastUsedFlushMs),
      setInterval(() => {
        this.flushAudit().catch(onFailure('api key use audit flush'));
      }, this.#options.auditFlushMs),
    ];
    for (const timer of this.#timers) timer.unref();
  }

  /** Stops the timers and writes what is pending. */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.flush();
  }

  /** A last-used time not yet written, so reads can show it before the flush. */
  pendingLastUsed(keyId: string): string | null {
    return this.#lastUsed.get(keyId)?.at ?? null;
  }

  /** Notes one authenticated request made with a key, once its response is known. */
  used(use: ApiKeyUse): void {
    const at = this.#context.clock.now().toISOString();
    this.#lastUsed.set(use.keyId, { restaurantId: use.restaurantId, at });

    this.#queue.push(use);
    if (this.#queue.length > this.#options.maxQueued) {
      this.#queue.shift();
      this.#dropped += 1;
    }
    if (this.#queue.length >= this.#options.auditBatchSize) {
      this.flushAudit().catch(() => this.#context.logger.error('api key use audit flush failed'));
    }
  }

  /** Writes everything pending now. */
  async flush(): Promise<void> {
    await this.flushAudit();
    await this.flushLastUsed();
  }

  async flushLastUsed(): Promise<void> {
    if (this.#lastUsed.size === 0) return;
    const pending = [...this.#lastUsed];
    this.#lastUsed.clear();

    try {
      await inTransaction(this.#context.database, async (tx) => {
        for (const [keyId, { restaurantId, at }] of pending) {
          await new ApiKeysRepository(tx, trustedRestaurantId(restaurantId)).touch(keyId, at);
        }
      });
    } catch (error) {
      // Put back what a newer use has not replaced, for the next flush.
      for (const [keyId, entry] of pending) {
        if (!this.#lastUsed.has(keyId)) this.#lastUsed.set(keyId, entry);
      }
      throw error;
    }
  }

  /** Writes queued use records; concurrent callers wait for the write in progress. */
  async flushAudit(): Promise<void> {
    while (this.#auditWrite) await this.#auditWrite;
    if (this.#queue.length === 0) return;

    const batch = this.#queue;
    this.#queue = [];
    this.#auditWrite = this.#writeAudit(batch).finally(() => {
      this.#auditWrite = null;
    });
    await this.#auditWrite;
  }

  async #writeAudit(batch: ApiKeyUse[]): Promise<void> {
    if (this.#dropped > 0) {
      this.#context.logger.error({ dropped: this.#dropped }, 'api key use records were dropped');
      this.#dropped = 0;
    }
    try {
      await inTransaction(this.#context.database, async (tx) => {
        for (const use of batch) {
          await this.#context.audit.record(tx, {
            type: 'data_access',
            action: 'apikey.use',
            outcome:
              use.statusCode < 400 ? 'success' : use.statusCode === 403 ? 'denied' : 'failure',
            restaurantId: use.restaurantId,
            actor: { type: 'api_key', id: use.keyId, role: null },
            source: { ip: use.ip, requestId: use.requestId },
            resource: { type: 'route', id: `${use.method} ${use.route}` },
            details: { statusCode: use.statusCode },
          });
        }
      });
    } catch (error) {
      this.#queue = [...batch, ...this.#queue].slice(-this.#options.maxQueued);
      throw error;
    }
  }
}
