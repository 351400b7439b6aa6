import type { TestApp } from './app.js';

/** Polls `condition` until it holds; fails naming `what` once `timeoutMs` have passed. */
export async function waitUntil(
  condition: () => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves once the app's Redis client has connected. */
export function redisReady(t: TestApp): Promise<void> {
  return waitUntil(() => t.context.redis?.status === 'ready', 'Redis is ready', 5_000);
}
