import { availableParallelism } from 'node:os';

import type { PasswordHasher } from '../passwords/index.js';

/** libuv's thread pool, which argon2, WebCrypto (token signatures), fs and dns share. */
const THREADPOOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE) || 4;

/**
 * How many argon2 runs may be in flight at once: one core short of all of them, so the event loop
 * keeps a core to itself during a login storm, and always at least one pool thread left free.
 * Without the bound a storm fills every pool thread with 19 MiB hashes, each token signature or
 * verification (WebCrypto uses the same pool) queues behind them, and the event loop competes
 * with the hashes for CPU: ordinary authenticated requests slow to the pace of logins.
 */
export const DEFAULT_HASHING_CONCURRENCY = Math.max(
  1,
  Math.min(availableParallelism() - 1, THREADPOOL_SIZE - 1),
);

/**
 * Wraps a hasher so that at most `limit` of its operations run at once; the rest wait their turn
 * in order. Every operation goes through the same gate, so an unknown user's dummy verification
 * waits exactly as a real one does and the gate reveals nothing about which names exist.
 */
export function gatedHasher(
  inner: PasswordHasher,
  limit = DEFAULT_HASHING_CONCURRENCY,
): PasswordHasher {
  let running = 0;
  const waiting: (() => void)[] = [];

  async function gated<T>(work: () => Promise<T>): Promise<T> {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running += 1;
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next in line, or give it back.
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  }

  return {
    hash: (password) => gated(() => inner.hash(password)),
    verify: (stored, password) => gated(() => inner.verify(stored, password)),
    burn: (password) => gated(() => inner.burn(password)),
  };
}
