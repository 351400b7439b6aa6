import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';

import type { Redis } from 'ioredis';

import type { AppContext } from '../../app/context.js';
import type { Logger } from '../../infra/logging/logger.js';
import type { KdsEvent } from './events.js';

export type KdsListener = (event: KdsEvent) => void;

const CHANNEL_PREFIX = 'chefia:kds:';
const SUBSCRIBE_TIMEOUT_MS = 2_000;

const channelOf = (restaurantId: string): string => `${CHANNEL_PREFIX}${restaurantId}`;

interface WireMessage {
  origin: string;
  event: KdsEvent;
}

/**
 * Carries committed kitchen events to the live streams: at once to the streams of this process,
 * and through one Redis channel per restaurant to those held by other processes. It is a
 * best-effort fast path only: the `kds_events` table is the record, and every stream fills any
 * gap from it (see stream.ts), so a message lost while Redis is away costs latency, not events.
 */
export class KitchenEventBus {
  readonly #local = new EventEmitter();
  /** Tells this process's own messages apart when Redis echoes them back. */
  readonly #origin = randomUUID();
  readonly #publisher: Redis | null;
  readonly #subscriber: Redis | null;
  readonly #logger: Logger;
  readonly #channelUsers = new Map<string, number>();

  constructor(options: { redis: Redis | null; logger: Logger }) {
    this.#local.setMaxListeners(0);
    this.#publisher = options.redis;
    this.#logger = options.logger;
    // A connection in subscriber mode can do nothing else, so it is a separate one.
    this.#subscriber = options.redis?.duplicate({ enableOfflineQueue: true }) ?? null;
    this.#subscriber?.on('error', () => undefined);
    this.#subscriber?.on('message', (channel: string, message: string) => {
      this.#receive(channel, message);
    });
  }

  /** Delivers a committed event to every stream of its restaurant, here and in other processes. */
  publish(restaurantId: string, event: KdsEvent): void {
    this.#local.emit(restaurantId, event);
    if (!this.#publisher) return;

    const message: WireMessage = { origin: this.#origin, event };
    this.#publisher.publish(channelOf(restaurantId), JSON.stringify(message)).catch(() => {
      this.#logger.warn(
        'kitchen event not fanned out through redis; streams catch up from the log',
      );
    });
  }

  /**
   * Calls `listener` with each event of the restaurant until the returned function is called.
   * Resolves once the Redis channel is listened to (or given up on), so that a stream reading
   * the log afterwards misses nothing published in between.
   */
  async subscribe(restaurantId: string, listener: KdsListener): Promise<() => void> {
    this.#local.on(restaurantId, listener);
    const users = (this.#channelUsers.get(restaurantId) ?? 0) + 1;
    this.#channelUsers.set(restaurantId, users);
    if (users === 1) await this.#listen(restaurantId);

    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.#local.off(restaurantId, listener);
      const remaining = (this.#channelUsers.get(restaurantId) ?? 1) - 1;
      if (remaining > 0) {
        this.#channelUsers.set(restaurantId, remaining);
        return;
      }
      this.#channelUsers.delete(restaurantId);
      this.#subscriber?.unsubscribe(channelOf(restaurantId)).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.#local.removeAllListeners();
    this.#channelUsers.clear();
    this.#subscriber?.disconnect();
  }

  async #listen(restaurantId: string): Promise<void> {
    if (!this.#subscriber) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), SUBSCRIBE_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.#subscriber.subscribe(channelOf(restaurantId)), timeout]);
    } catch {
      this.#logger.warn('kitchen channel unavailable; streams rely on the event log');
    } finally {
      clearTimeout(timer);
    }
  }

  #receive(channel: string, message: string): void {
    if (!channel.startsWith(CHANNEL_PREFIX)) return;
    let parsed: WireMessage;
    try {
      parsed = JSON.parse(message) as WireMessage;
    } catch {
      return;
    }
    if (parsed.origin === this.#origin) return;

    // The channel names the restaurant; an event claiming another one is dropped.
    const restaurantId = channel.slice(CHANNEL_PREFIX.length);
    if (parsed.event?.restaurantId !== restaurantId || !Number.isSafeInteger(parsed.event.seq)) {
      return;
    }
    this.#local.emit(restaurantId, parsed.event);
  }
}

const buses = new WeakMap<AppContext, KitchenEventBus>();

/**
 * The one bus of an application context, shared by the order and kitchen routes (the context is
 * built before the features and does not know them). The kitchen routes close it with the app.
 */
export function kitchenEventBus(context: AppContext): KitchenEventBus {
  let bus = buses.get(context);
  if (!bus) {
    bus = new KitchenEventBus({ redis: context.redis, logger: context.logger });
    buses.set(context, bus);
  }
  return bus;
}

/** Closes and forgets the context's bus. */
export async function closeKitchenEventBus(context: AppContext): Promise<void> {
  const bus = buses.get(context);
  buses.delete(context);
  await bus?.close();
}
