import type { Redis } from 'ioredis';

import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../infra/logging/logger.js';
import { markFallback } from './state.js';

/** The state of one client's window after counting a request. */
export interface WindowCount {
  /** Requests counted in the current window, this one included. */
  count: number;
  /** Milliseconds until the window ends and the count starts again. */
  resetInMs: number;
}

/** Fixed-window request counters, keyed by rate class and client. */
export interface WindowCounter {
  increment(key: string, windowMs: number): Promise<WindowCount>;
}

/** Windows kept in memory before expired ones are swept and, if needed, the oldest dropped. */
const DEFAULT_MAX_KEYS = 100_000;

/**
 * Counters in this process's memory, on the injected clock: the store of a single-process
 * deployment and the fallback of a Redis one. Memory is bounded: past `maxKeys` windows the
 * expired ones are swept and then the oldest dropped, so a flood from rotating addresses costs a
 * few of them a fresh window instead of exhausting the process.
 */
export class MemoryWindowCounter implements WindowCounter {
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  constructor(clock: Clock, maxKeys = DEFAULT_MAX_KEYS) {
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  async increment(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.#clock.now().getTime();
    const window = this.#windows.get(key);
    if (window && window.resetAt > now) {
      window.count += 1;
      return { count: window.count, resetInMs: window.resetAt - now };
    }

    if (!window && this.#windows.size >= this.#maxKeys) this.#makeRoom(now);
    this.#windows.set(key, { count: 1, resetAt: now + windowMs });
    return { count: 1, resetInMs: windowMs };
  }

  get size(): number {
    return this.#windows.size;
  }

  #makeRoom(now: number): void {
    for (const [key, window] of this.#windows) {
      if (window.resetAt <= now) this.#windows.delete(key);
    }
    // Maps iterate in insertion order, so the first keys are the oldest windows.
    let excess = this.#windows.size - Math.floor(this.#maxKeys * 0.9);
    for (const key of this.#windows.keys()) {
      if (excess <= 0) break;
      this.#windows.delete(key);
      excess -= 1;
    }
  }
}

/**
 * INCR and, for a new window, PEXPIRE in one atomic step, so every process counts into the same
 * window and a crash between the two commands cannot leave a counter that never expires.
 */
const INCREMENT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

const COMMAND = 'chefiaWindowIncrement';

/** The client once `defineCommand` has added the script as a method (ioredis types lack it). */
type RedisWithWindowCommand = Redis & {
  [COMMAND](key: string, windowMs: number): Promise<[number, number]>;
};

/** Counters shared by every process through Redis. */
export class RedisWindowCounter implements WindowCounter {
  readonly #redis: RedisWithWindowCommand;
  readonly #prefix: string;

  constructor(redis: Redis, prefix = 'chefia:rl:') {
    if (typeof (redis as unknown as Record<string, unknown>)[COMMAND] !== 'function') {
      // defineCommand sends EVALSHA and falls back to EVAL after a script-cache flush.
      redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: INCREMENT_SCRIPT });
    }
    this.#redis = redis as RedisWithWindowCommand;
    this.#prefix = prefix;
  }

  async increment(key: string, windowMs: number): Promise<WindowCount> {
    const [count, ttl] = await this.#redis[COMMAND](`${this.#prefix}${key}`, windowMs);
    return { count: Number(count), resetInMs: Math.max(0, Number(ttl)) };
  }
}

/** Longest wait for Redis before a request is counted locally instead. */
const DEFAULT_REDIS_TIMEOUT_MS = 250;

/**
 * Shared counters that survive losing Redis (SPEC 5.4): while Redis is unreachable each process
 * counts locally, so limits keep applying (never failing open) and orders keep flowing (never
 * failing closed). The outage is logged once and counted for the metrics; the first request that
 * reaches Redis again ends it. Local counts made during the outage are not merged back: a client
 * gets at most one extra window's worth of requests per process while Redis is away.
 */
export class FallbackWindowCounter implements WindowCounter {
  readonly #redis: Redis;
  readonly #remote: RedisWindowCounter;
  readonly #local: MemoryWindowCounter;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #onFallback: () => void;
  #fallback = false;

  constructor(options: {
    redis: Redis;
    local: MemoryWindowCounter;
    logger: Logger;
    timeoutMs?: number;
    /** Called once per outage, when counting moves to local memory (the metrics' counter). */
    onFallback?: () => void;
  }) {
    this.#redis = options.redis;
    this.#remote = new RedisWindowCounter(options.redis);
    this.#local = options.local;
    this.#logger = options.logger;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
    this.#onFallback = options.onFallback ?? (() => {});
  }

  /** True while requests are counted locally. */
  get usingFallback(): boolean {
    return this.#fallback;
  }

  async increment(key: string, windowMs: number): Promise<WindowCount> {
    // A client that is not connected fails at once anyway; checking first saves the attempt.
    if (this.#redis.status === 'ready') {
      try {
        const count = await withTimeout(this.#remote.increment(key, windowMs), this.#timeoutMs);
        this.#setFallback(false);
        return count;
      } catch {
        // Counted locally below.
      }
    }
    this.#setFallback(true);
    return this.#local.increment(key, windowMs);
  }

  /** Forgets this counter in the process-wide figures (on shutdown). */
  stop(): void {
    markFallback(this, false);
  }

  #setFallback(active: boolean): void {
    if (active === this.#fallback) return;
    this.#fallback = active;
    markFallback(this, active);
    if (active) {
      this.#onFallback();
      this.#logger.warn('rate limiting fell back to local counters: redis unavailable');
    } else {
      this.#logger.info('rate limiting counts in redis again');
    }
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('redis timeout')), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
