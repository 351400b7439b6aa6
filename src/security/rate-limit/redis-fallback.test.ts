import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { captureLogs } from '../../../test/helpers/logs.js';
import { metricSample } from '../../../test/helpers/metrics.js';
import { freeLoopbackPort } from '../../../test/helpers/ports.js';
import { waitUntil } from '../../../test/helpers/wait.js';
import { rateLimitState } from './state.js';

const FALLBACK_WARNING = 'rate limiting fell back to local counters: redis unavailable';
const RECOVERY_NOTICE = 'rate limiting counts in redis again';

/**
 * The Redis two processes share: this suite starts, kills and restarts it itself on a spare port,
 * so the outage is real and no other suite's Redis is touched.
 */
async function startRedis(port: number): Promise<ChildProcess> {
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  redis.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 10_000;
  while (!output.includes('Ready to accept connections')) {
    if (Date.now() > deadline || redis.exitCode !== null) throw new Error('redis did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return redis;
}

async function stopRedis(redis: ChildProcess): Promise<void> {
  if (redis.exitCode !== null) return;
  redis.kill('SIGKILL');
  await once(redis, 'exit');
}

/** How many captured log lines carry exactly this message. */
function logged(lines: string[], message: string): number {
  return lines.filter((line) => (JSON.parse(line) as { msg?: string }).msg === message).length;
}

const available = await new Promise<boolean>((resolve) => {
  const probe = spawn('redis-server', ['--version']);
  probe.on('error', () => resolve(false));
  probe.on('exit', (code) => resolve(code === 0));
});
if (!available) console.warn('Redis outage suite SKIPPED: redis-server is not installed');

describe.skipIf(!available)('rate limits shared through Redis, and its outage', () => {
  let port: number;
  let redis: ChildProcess;
  let a: TestApp;
  let b: TestApp;
  let admin: SignedInUser;
  const logsOfA = captureLogs();
  const logsOfB = captureLogs();

  beforeAll(async () => {
    port = await freeLoopbackPort();
    redis = await startRedis(port);
    const options = {
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, CHEFIA_RATE_LIMIT_DEFAULT: '10/60' },
      routes: (app: TestApp['app']) => {
        app.get('/api/v1/test/open', { config: { access: { public: true } } }, async () => ({}));
      },
    };
    a = await buildTestApp({ ...options, logger: logsOfA.logger });
    b = await buildTestApp({ ...options, logger: logsOfB.logger });
    await waitUntil(() => a.context.redis?.status === 'ready', 'app A reaches redis');
    await waitUntil(() => b.context.redis?.status === 'ready', 'app B reaches redis');
    admin = await signIn(a, await seedRestaurant(a), 'admin');
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    if (redis) await stopRedis(redis);
  });

  const hit = (app: TestApp, remoteAddress: string) =>
    app.app.inject({ method: 'GET', url: '/api/v1/test/open', remoteAddress });
  /** App A's metrics as the operator's scraper reads them (one request of the admin's budget). */
  const scrapeA = async () => {
    const response = await a.app.inject({ method: 'GET', url: '/metrics', headers: admin.headers });
    expect(response.statusCode).toBe(200);
    return response.body;
  };

  /** Alternates between the two apps and returns the status codes. */
  async function alternate(remoteAddress: string, count: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < count; i += 1) {
      statuses.push((await hit(i % 2 === 0 ? a : b, remoteAddress)).statusCode);
    }
    return statuses;
  }

  it('counts one client across both processes', async () => {
    const statuses = await alternate('203.0.113.101', 12);

    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect(rateLimitState().redisFallback).toBe(false);
    const metrics = await scrapeA();
    expect(metricSample(metrics, 'chefia_redis_fallback')).toBe(0);
    expect(metricSample(metrics, 'chefia_rate_limit_fallbacks_total')).toBe(0);
    expect(logged(logsOfA.lines, FALLBACK_WARNING)).toBe(0);
  });

  it('keeps limiting, locally and without errors, while Redis is down', async () => {
    const eventsBefore = rateLimitState().fallbackEvents;
    await stopRedis(redis);
    await waitUntil(() => a.context.redis?.status !== 'ready', 'app A notices the outage');
    await waitUntil(() => b.context.redis?.status !== 'ready', 'app B notices the outage');

    const onA: number[] = [];
    for (let i = 0; i < 12; i += 1) onA.push((await hit(a, '203.0.113.102')).statusCode);
    const onB: number[] = [];
    for (let i = 0; i < 12; i += 1) onB.push((await hit(b, '203.0.113.102')).statusCode);

    // Each process now has its own budget: neither open (no 13th 200) nor closed (no 5xx).
    expect(onA).toEqual([...Array(10).fill(200), 429, 429]);
    expect(onB).toEqual([...Array(10).fill(200), 429, 429]);
    expect(rateLimitState().redisFallback).toBe(true);
    expect(rateLimitState().fallbackEvents).toBeGreaterThanOrEqual(eventsBefore + 2);
  });

  it('shows the outage in /metrics and logs it once, however many requests it serves', async () => {
    const metrics = await scrapeA();

    expect(metricSample(metrics, 'chefia_redis_fallback')).toBe(1);
    expect(metricSample(metrics, 'chefia_rate_limit_fallbacks_total')).toBe(1);
    // Each process served a dozen limited requests (and A a scrape) during the outage.
    expect(logged(logsOfA.lines, FALLBACK_WARNING)).toBe(1);
    expect(logged(logsOfB.lines, FALLBACK_WARNING)).toBe(1);
    const [warning] = logsOfA.lines.filter((line) => line.includes(FALLBACK_WARNING));
    expect(JSON.parse(warning!)).toMatchObject({ level: 40 });
  });

  it('shares the counters again once Redis is back', async () => {
    redis = await startRedis(port);
    await waitUntil(() => a.context.redis?.status === 'ready', 'app A reconnects');
    await waitUntil(() => b.context.redis?.status === 'ready', 'app B reconnects');

    const statuses = await alternate('203.0.113.103', 12);

    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect(rateLimitState().redisFallback).toBe(false);

    const metrics = await scrapeA();
    expect(metricSample(metrics, 'chefia_redis_fallback')).toBe(0);
    // A counter: the outage stays counted after it ends.
    expect(metricSample(metrics, 'chefia_rate_limit_fallbacks_total')).toBe(1);
    for (const logs of [logsOfA, logsOfB]) {
      expect(logged(logs.lines, FALLBACK_WARNING)).toBe(1);
      expect(logged(logs.lines, RECOVERY_NOTICE)).toBe(1);
    }
  }, 30_000);
});
