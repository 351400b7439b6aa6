import type { Redis } from 'ioredis';

import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Database, Executor } from '../../infra/db/database.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import type { Logger } from '../../infra/logging/logger.js';
import { BlockedIpsRepository, type BlockedIpRow } from './blocked-ips-repository.js';

export type BlockReason = 'manual' | 'threat_detected' | 'brute_force';

export interface NewBlock {
  /** A normalized address (`clientAddress`, `normalizeAddress`). */
  address: string;
  reason: BlockReason;
  minutes: number;
  note?: string | null;
  restaurantId: string | null;
  createdBy: string | null;
}

type BlockChange = Pick<BlockedIpRow, 'id' | 'address' | 'expires_at' | 'removed_at'>;

const CHANNEL = 'chefia:blocked-ips';
const POLL_INTERVAL_MS = 5_000;
/** Overlap between polls, so a row committed just before the previous poll is not missed. */
const POLL_OVERLAP_MS = 10_000;

/**
 * The blocked addresses every request is checked against, in memory so the check costs no I/O.
 * The database is the record, so blocks survive restarts; a block or unblock reaches the other
 * processes at once through Redis when configured, and within seconds through polling otherwise
 * (or when a Redis message was missed during an outage).
 */
export class BlockList {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #redis: Redis | null;
  readonly #logger: Logger;
  /** Address to its blocks (id to expiry): several may overlap, made by different restaurants. */
  readonly #blocked = new Map<string, Map<string, number>>();
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

  /** Loads the blocks in force and starts hearing of new ones. */
  async start(): Promise<void> {
    const now = this.#clock.now();
    const rows = await new BlockedIpsRepository(this.#database.kysely).allActive(now.toISOString());
    this.#lastPoll = now.getTime();
    for (const row of rows) this.#apply(row);

    this.#timer = setInterval(() => {
      this.poll().catch(() => this.#logger.warn('blocked address poll failed'));
    }, POLL_INTERVAL_MS);
    this.#timer.unref();

    if (this.#redis) {
      // Subscribing on every (re)connection: the shared client queues nothing while offline, so
      // a subscription asked for before the connection is up would simply fail.
      const subscriber = this.#redis.duplicate();
      subscriber.on('error', () => undefined);
      subscriber.on('message', (_channel: string, message: string) => this.#receive(message));
      subscriber.on('ready', () => {
        subscriber.subscribe(CHANNEL).catch(() => {
          this.#logger.warn('blocked address channel unavailable; relying on database polling');
        });
      });
      this.#subscriber = subscriber;
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#subscriber?.disconnect();
  }

  /** Addresses blocked in this process right now (expired ones may linger until checked). */
  get size(): number {
    return this.#blocked.size;
  }

  /** True when requests from `address` (normalized) must be refused. */
  isBlocked(address: string): boolean {
    const blocks = this.#blocked.get(address);
    if (!blocks) return false;

    const now = this.#clock.now().getTime();
    for (const [id, expiresAt] of blocks) {
      if (expiresAt > now) return true;
      blocks.delete(id);
    }
    this.#blocked.delete(address);
    return false;
  }

  /**
   * Writes a block in `tx`, extending the address's active block by the same restaurant (or the
   * same unauthenticated origin) when there is one; the later expiry wins. Call `publish` with
   * the result once the transaction has committed.
   */
  async block(tx: Executor, block: NewBlock): Promise<BlockedIpRow> {
    const repository = new BlockedIpsRepository(tx);
    const now = this.#clock.now();
    const expiresAt = new Date(now.getTime() + block.minutes * 60_000).toISOString();

    const active = await repository.findActive(
      block.address,
      block.restaurantId,
      now.toISOString(),
    );
    if (active) {
      if (active.expires_at >= expiresAt) return active;
      await repository.extend(active.id, expiresAt, now.toISOString());
      return { ...active, expires_at: expiresAt, updated_at: now.toISOString() };
    }

    const row: BlockedIpRow = {
      id: this.#ids(),
      address: block.address,
      reason: block.reason,
      note: block.note ?? null,
      restaurant_id: block.restaurantId,
      created_by: block.createdBy,
      created_at: now.toISOString(),
      expires_at: expiresAt,
      removed_at: null,
      removed_by: null,
      updated_at: now.toISOString(),
    };
    await repository.insert(row);
    return row;
  }

  /**
   * Lifts the active blocks of `address` that `visibleTo` may see (every one when null) in `tx`;
   * `publish` the result after the commit. Blocks other restaurants made stay in force.
   */
  async unblock(
    tx: Executor,
    address: string,
    removedBy: string,
    visibleTo: RestaurantId | null,
  ): Promise<BlockedIpRow[]> {
    const now = this.#clock.now().toISOString();
    return new BlockedIpsRepository(tx).removeActive({ address, now, removedBy, visibleTo });
  }

  /** Applies committed changes here and announces them to the other processes. */
  publish(rows: readonly BlockChange[]): void {
    for (const row of rows) {
      this.#apply(row);
      const message: BlockChange = {
        id: row.id,
        address: row.address,
        expires_at: row.expires_at,
        removed_at: row.removed_at,
      };
      this.#redis?.publish(CHANNEL, JSON.stringify(message)).catch(() => undefined);
    }
  }

  /** Reads blocks added, extended or lifted since the last poll. */
  async poll(): Promise<void> {
    const now = this.#clock.now().getTime();
    const since = new Date(this.#lastPoll - POLL_OVERLAP_MS).toISOString();
    const rows = await new BlockedIpsRepository(this.#database.kysely).changedSince(since);
    this.#lastPoll = now;
    for (const row of rows) this.#apply(row);
  }

  #receive(message: string): void {
    try {
      const row = JSON.parse(message) as Partial<BlockChange>;
      if (
        typeof row.id === 'string' &&
        typeof row.address === 'string' &&
        typeof row.expires_at === 'string' &&
        (row.removed_at === null || typeof row.removed_at === 'string')
      ) {
        this.#apply({
          id: row.id,
          address: row.address,
          expires_at: row.expires_at,
          removed_at: row.removed_at,
        });
        return;
      }
    } catch {
      // Reported below.
    }
    this.#logger.warn('ignored a malformed blocked address message');
  }

  #apply(row: BlockChange): void {
    const expiresAt = Date.parse(row.expires_at);
    const blocks = this.#blocked.get(row.address);
    if (row.removed_at !== null || !(expiresAt > this.#clock.now().getTime())) {
      blocks?.delete(row.id);
      if (blocks?.size === 0) this.#blocked.delete(row.address);
      return;
    }
    if (blocks) blocks.set(row.id, expiresAt);
    else this.#blocked.set(row.address, new Map([[row.id, expiresAt]]));
  }
}
