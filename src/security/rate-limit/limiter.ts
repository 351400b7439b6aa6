import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

import { AppError } from '../../core/errors.js';
import { clientKeyOf, rateClassOf } from './client.js';
import type { RateClass, RateLimits } from './limits.js';
import { countLimited } from './state.js';
import type { WindowCounter } from './window-counter.js';

/** Routes that are never limited: probes from the load balancer and the (dev-only) API docs. */
const UNLIMITED_PREFIXES = ['/health/', '/docs'];

/**
 * Per-class, per-client request limits (SPEC 5.4) over a `WindowCounter` (local memory, or Redis
 * with a local fallback).
 */
export class RateLimiter {
  readonly #limits: RateLimits;
  readonly #counter: WindowCounter;
  readonly #enabled: boolean;

  /** `enabled: false` limits nothing (benchmarks measuring what limiting costs). */
  constructor(limits: RateLimits, counter: WindowCounter, enabled = true) {
    this.#limits = limits;
    this.#counter = counter;
    this.#enabled = enabled;
  }

  /** The limit of a class, with its window in milliseconds. */
  limitOf(rateClass: RateClass): { max: number; windowMs: number } {
    const limit = this.#limits[rateClass];
    return { max: limit.max, windowMs: limit.windowSeconds * 1000 };
  }

  /**
   * Counts one request outside the route hooks (a refused API key is an authentication attempt
   * of its source) and throws the 429 when the client is over its limit.
   */
  async consume(request: FastifyRequest, rateClass: RateClass): Promise<void> {
    if (!this.#enabled) return;
    const { max, windowMs } = this.limitOf(rateClass);
    const { count, resetInMs } = await this.#counter.increment(
      clientKeyOf(request, rateClass),
      windowMs,
    );
    if (count <= max) return;

    countLimited();
    const seconds = String(Math.ceil(resetInMs / 1000));
    throw new AppError('POS_ERR_RATE_LIMITED', {
      headers: {
        'retry-after': seconds,
        'ratelimit-limit': String(max),
        'ratelimit-remaining': '0',
        'ratelimit-reset': seconds,
      },
    });
  }

  /**
   * Limits every route through @fastify/rate-limit, which brings the draft-standard
   * `RateLimit-*` headers and `Retry-After`. It runs in `preParsing`: after the `onRequest`
   * authentication, so the client can be its API key or user, and before the body is read, so a
   * limited client costs no parsing. Register it before the routes.
   */
  async install(app: FastifyInstance): Promise<void> {
    if (!this.#enabled) return;
    const counter = this.#counter;
    const store = class implements FastifyRateLimitStore {
      incr(
        key: string,
        callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
        timeWindow: number,
      ): void {
        counter.increment(key, timeWindow).then(
          ({ count, resetInMs }) => callback(null, { current: count, ttl: resetInMs }),
          (error: Error) => callback(error),
        );
      }

      child(): FastifyRateLimitStore {
        return this;
      }
    };

    await app.register(rateLimit, {
      global: true,
      hook: 'preParsing',
      enableDraftSpec: true,
      store,
      keyGenerator: (request) => clientKeyOf(request, rateClassOf(request)),
      max: (request) => this.limitOf(rateClassOf(request)).max,
      timeWindow: (request) => this.limitOf(rateClassOf(request)).windowMs,
      allowList: (request) => isUnlimited(request.routeOptions.url),
      errorResponseBuilder: () => new AppError('POS_ERR_RATE_LIMITED'),
      onExceeded: () => countLimited(),
    });
  }
}

function isUnlimited(url: string | undefined): boolean {
  if (url === undefined) return false;
  return UNLIMITED_PREFIXES.some((prefix) => url.startsWith(prefix));
}
