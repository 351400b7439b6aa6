import { describe, expect, it } from 'vitest';

import type { PasswordHasher } from '../passwords/index.js';
import { DEFAULT_HASHING_CONCURRENCY, gatedHasher } from './hashing-gate.js';

/** A hasher whose every operation waits until the test releases it, recording the peak load. */
function controllableHasher() {
  const pending: (() => void)[] = [];
  let running = 0;
  let peak = 0;
  const started: string[] = [];
  const operation = async (label: string) => {
    running += 1;
    peak = Math.max(peak, running);
    started.push(label);
    await new Promise<void>((resolve) => pending.push(resolve));
    running -= 1;
  };
  const hasher: PasswordHasher = {
    hash: async (password) => (await operation(`hash:${password}`), 'hash'),
    verify: async (_stored, password) => (
      await operation(`verify:${password}`),
      { ok: true, needsRehash: false }
    ),
    burn: (password) => operation(`burn:${password}`),
  };
  const releaseOne = async () => {
    pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { hasher, releaseOne, peak: () => peak, started };
}

describe('hashing gate', () => {
  it('runs at most the limit at once, in arrival order, whatever the operation', async () => {
    const inner = controllableHasher();
    const gated = gatedHasher(inner.hasher, 2);

    const all = Promise.all([
      gated.verify('stored', 'a'),
      gated.burn('b'),
      gated.hash('c'),
      gated.verify('stored', 'd'),
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(inner.started).toEqual(['verify:a', 'burn:b']);

    for (let i = 0; i < 4; i += 1) await inner.releaseOne();
    await all;

    expect(inner.peak()).toBe(2);
    expect(inner.started).toEqual(['verify:a', 'burn:b', 'hash:c', 'verify:d']);
  });

  it('frees its slot when an operation fails', async () => {
    const failing: PasswordHasher = {
      hash: () => Promise.reject(new Error('boom')),
      verify: () => Promise.resolve({ ok: false, needsRehash: false }),
      burn: () => Promise.resolve(),
    };
    const gated = gatedHasher(failing, 1);

    await expect(gated.hash('x')).rejects.toThrow('boom');

    await expect(gated.verify('stored', 'x')).resolves.toEqual({ ok: false, needsRehash: false });
  });

  it('leaves at least one thread-pool thread free by default', () => {
    const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;

    expect(DEFAULT_HASHING_CONCURRENCY).toBeGreaterThanOrEqual(1);
    expect(DEFAULT_HASHING_CONCURRENCY).toBeLessThan(pool);
  });
});
