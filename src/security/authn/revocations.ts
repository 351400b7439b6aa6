import type { Redis } from 'ioredis';

import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Database, Executor } from '../../infra/db/database.js';
import type { RevocationsTable } from '../../infra/db/schema.js';
import type { Logger } from '../../infra/logging/logger.js';

const CHANNEL = 'chefia:revocations';
const POLL_INTERVAL_MS = 2_000;
/** Overlap between polls, so a row committed just before the previous poll is not missed. */
const POLL_OVERLAP_MS = 10_000;
const SUBSCRIBE_WAIT_MS = 2_000;

const delay = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export type RevocationKind = 'token' | 'session';

/**
 * Revoked access tokens (by `jti`) and sessions (by id), checked on every authenticated request
 * without touching the database. The database is the record, so revocations survive restarts;
 * each process keeps them in memory, hears of new ones at once through Redis when configured,
 * and also polls the table so a revocation made by another process (the CLI, say) reaches it
 * within seconds even without Redis.
 */
export class RevocationStore {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #redis: Redis | null;
  readonly #logger: Logger;
  readonly #revoked = new Map<string, number>();
  #subscriber: Redis | null = null;
  #timer: NodeJS.Timeout | null = null;
  #lastPoll = 0;

  constructor(options: {
    database: Database;
    clock: Clock;
    ids: IdGenerator;
    redis: Redis | null;
    logger: Logger;
  }) {
    this.#database = options.database;
    this.#clock = options.clock;
    this.#ids = options.ids;
    this.#redis = options.redis;
    this.#logger = options.logger;
  }

  /** Loads current revocations and starts listening for new ones. */
  async start(): Promise<void> {
    await this.poll(true);
    this.#timer = setInterval(() => {
      this.poll(false).catch(() => this.#logger.warn('revocation poll failed'));
    }, POLL_INTERVAL_MS);
    this.#timer.unref();

    if (this.#redis) {
      // The shared client fails fast while Redis is away; the subscriber instead queues its
      // SUBSCRIBE until the connection is up (and ioredis re-subscribes after a reconnect), so
      // a process started before Redis still hears revocations once it arrives. Until then, and
      // for anything published meanwhile, the poll above covers.
      const subscriber = this.#redis.duplicate({
        enableOfflineQueue: true,
        maxRetriesPerRequest: null,
      });
      this.#subscriber = subscriber;
      subscriber.on('error', () => undefined);
      subscriber.on('message', (_channel: string, message: string) => this.#receive(message));
      const subscribed = subscriber.subscribe(CHANNEL).then(
        () => undefined,
        () => this.#logger.warn('revocation channel unavailable; relying on database polling'),
      );
      // Waits briefly so that a healthy Redis is listening by the time the app serves requests,
      // without letting an absent one hold the start.
      await Promise.race([subscribed, delay(SUBSCRIBE_WAIT_MS)]);
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#subscriber?.disconnect();
  }

  isRevoked(kind: RevocationKind, subject: string): boolean {
    const expiresAt = this.#revoked.get(`${kind}:${subject}`);
    return expiresAt !== undefined && expiresAt > this.#clock.now().getTime();
  }

  /**
   * Records a revocation in `tx` and applies it at once in this process and, through Redis, in
   * the others. Applying before the commit errs on the side of refusing: a revocation whose
   * transaction rolls back only lasts until the token would have expired anyway.
   */
  async revoke(
    tx: Executor,
    kind: RevocationKind,
    subject: string,
    expiresAt: Date,
  ): Promise<void> {
    const row: RevocationsTable = {
      id: this.#ids(),
      kind,
      subject,
      not_before: null,
      expires_at: expiresAt.toISOString(),
      created_at: this.#clock.now().toISOString(),
    };
    await tx.insertInto('revocations').values(row).execute();
    this.#apply(row);
    this.#redis?.publish(CHANNEL, JSON.stringify(row)).catch(() => undefined);
  }

  /** Reads revocations recorded since the last poll (all unexpired ones on the first). */
  async poll(initial: boolean): Promise<void> {
    const now = this.#clock.now();
    let query = this.#database.kysely
      .selectFrom('revocations')
      .selectAll()
      .where('expires_at', '>', now.toISOString());
    if (!initial) {
      query = query.where(
        'created_at',
        '>=',
        new Date(this.#lastPoll - POLL_OVERLAP_MS).toISOString(),
      );
    }
    const rows = await query.execute();
    this.#lastPoll = now.getTime();
    for (const row of rows) this.#apply(row);
    this.#forgetExpired(now.getTime());
  }

  #receive(message: string): void {
    try {
      const row = JSON.parse(message) as RevocationsTable;
      if ((row.kind === 'token' || row.kind === 'session') && typeof row.subject === 'string') {
        this.#apply(row);
      }
    } catch {
      this.#logger.warn('ignored a malformed revocation message');
    }
  }

  #apply(row: Pick<RevocationsTable, 'kind' | 'subject' | 'expires_at'>): void {
    this.#revoked.set(`${row.kind}:${row.subject}`, Date.parse(row.expires_at));
  }

  #forgetExpired(now: number): void {
    for (const [key, expiresAt] of this.#revoked) {
      if (expiresAt <= now) this.#revoked.delete(key);
    }
  }
}
