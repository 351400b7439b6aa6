/**
 * Identity benchmarks that a single autocannon target cannot express, against the app as
 * production runs it with the production argon2id parameters:
 *
 * 1. login latency, one login at a time (p50, p99);
 * 2. a login storm: 50 concurrent connections logging in while a cashier keeps creating orders
 *    at a steady rate (`POST /api/v1/orders`, two items: the order path of SPEC section 7), with
 *    the event loop's delay (p99, max) and the orders' latency compared with the same orders on
 *    a quiet server;
 * 3. the response time of an unknown user against a wrong password over many interleaved trials
 *    (mean and p50 of each), which must not tell the two apart (SPEC 5.1).
 *
 *   npx tsx bench/auth.ts
 *   BENCH_AUTH_SECONDS=10 BENCH_AUTH_TRIALS=400 BENCH_AUTH_ORDER_RATE=100 npx tsx bench/auth.ts
 *
 * The server runs in this process so its event loop can be watched; the load generators run in
 * worker threads (autocannon `workers`), and only the sequential timing trials use this thread.
 */
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import autocannon from 'autocannon';

import { AUTH_PASSWORD, startAuthServer, type AuthServer } from './auth-server.js';
import { insertMenu, twoItemOrder } from './order-server.js';

const SECONDS = integerFromEnv('BENCH_AUTH_SECONDS', 10);
const TRIALS = integerFromEnv('BENCH_AUTH_TRIALS', 300);
const STORM_CONNECTIONS = 50;
const ORDER_CONNECTIONS = 10;
/** Orders per second beside the storm: a busy floor, not a saturating load (SPEC section 7). */
const ORDER_RATE = integerFromEnv('BENCH_AUTH_ORDER_RATE', 50);
/**
 * The loop-delay histogram samples with a timer of this period and records the time between its
 * ticks, so every sample includes the period: 1 ms keeps that floor small.
 */
const LOOP_SAMPLE_MS = 1;
const SEQUENTIAL_LOGINS = 100;

function integerFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer.`);
  return value;
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

const mean = (samples: readonly number[]) =>
  samples.reduce((sum, sample) => sum + sample, 0) / samples.length;
const ms = (value: number) => value.toFixed(1);

async function timedLogin(origin: string, body: string): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const response = await fetch(`${origin}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

function load(options: autocannon.Options): Promise<autocannon.Result> {
  // In its own thread, so the generator does not share the server's event loop.
  return autocannon({ workers: 1, ...options });
}

async function accessToken(auth: AuthServer): Promise<string> {
  const response = await fetch(`${auth.origin}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: auth.loginBody,
  });
  if (response.status !== 200) throw new Error(`login failed with ${response.status}`);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

async function sequentialLogins(auth: AuthServer) {
  const samples: number[] = [];
  for (let i = 0; i < SEQUENTIAL_LOGINS; i += 1) {
    const { ms: elapsed, status } = await timedLogin(auth.origin, auth.loginBody);
    if (status !== 200) throw new Error(`login failed with ${status}`);
    samples.push(elapsed);
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), mean: mean(samples) };
}

/** Order creation, optionally during a login storm, with the event-loop delay meanwhile. */
async function ordersWithOptionalStorm(
  auth: AuthServer,
  token: string,
  orderBody: string,
  storm: boolean,
) {
  const histogram = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  histogram.enable();
  const orders = load({
    url: `${auth.origin}/api/v1/orders`,
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: orderBody,
    connections: ORDER_CONNECTIONS,
    overallRate: ORDER_RATE,
    duration: SECONDS,
  });
  const logins = storm
    ? load({
        url: `${auth.origin}/api/v1/auth/login`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: auth.loginBody,
        connections: STORM_CONNECTIONS,
        duration: SECONDS,
      })
    : null;
  const [orderResult, loginResult] = await Promise.all([orders, logins]);
  histogram.disable();
  return {
    orders: orderResult,
    logins: loginResult,
    loopDelayP99: histogram.percentile(99) / 1e6,
    loopDelayMax: histogram.max / 1e6,
  };
}

/**
 * Unknown users and wrong passwords, alternated so drift affects both alike. The wrong-password
 * account's failure count is reset (untimed) before it could lock, so every trial takes the
 * wrong-password path rather than the locked one.
 */
async function enumerationTiming(auth: AuthServer) {
  const target = await auth.addCashier('alvo');
  const unknown: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < TRIALS; i += 1) {
    if (i % 9 === 0) {
      await auth.server.context.database.kysely
        .updateTable('users')
        .set({ failed_login_count: 0 })
        .where('username', '=', target)
        .execute();
    }
    const wrongBody = auth.loginJson(target, `${AUTH_PASSWORD}-errada`);
    const unknownBody = auth.loginJson(`ninguem-${i}`, `${AUTH_PASSWORD}-errada`);
    const order = i % 2 === 0 ? [unknownBody, wrongBody] : [wrongBody, unknownBody];
    for (const body of order) {
      const { ms: elapsed, status } = await timedLogin(auth.origin, body);
      if (status !== 401) throw new Error(`expected 401, got ${status}`);
      (body === wrongBody ? wrong : unknown).push(elapsed);
    }
  }
  return {
    unknown: { mean: mean(unknown), p50: percentile(unknown, 50) },
    wrong: { mean: mean(wrong), p50: percentile(wrong, 50) },
  };
}

const auth = await startAuthServer();
try {
  process.stderr.write('warming up …\n');
  for (let i = 0; i < 10; i += 1) await timedLogin(auth.origin, auth.loginBody);
  const token = await accessToken(auth);
  const orderBody = twoItemOrder(await insertMenu(auth.server.context, auth.restaurantId));

  process.stderr.write('sequential logins …\n');
  const sequential = await sequentialLogins(auth);
  process.stderr.write('orders on a quiet server …\n');
  const quiet = await ordersWithOptionalStorm(auth, token, orderBody, false);
  process.stderr.write('orders during a login storm …\n');
  const storm = await ordersWithOptionalStorm(auth, token, orderBody, true);
  process.stderr.write('unknown user against wrong password …\n');
  const timing = await enumerationTiming(auth);

  const logins = storm.logins!;
  const failures = (r: autocannon.Result) => r.errors + r.timeouts + r.non2xx;
  const cpus = os.cpus();
  process.stdout.write(
    [
      `Run ${new Date().toISOString()} on ${os.availableParallelism()} CPUs ` +
        `(${cpus[0]?.model ?? 'unknown'}), Node ${process.version}; argon2id m=19456 KiB, t=2, ` +
        `p=1; libuv threadpool ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}.`,
      '',
      '| measure | value |',
      '| --- | ---: |',
      `| login, one at a time: p50 / p99 ms | ${ms(sequential.p50)} / ${ms(sequential.p99)} |`,
      `| login storm (${STORM_CONNECTIONS} connections, ${SECONDS} s): logins/s | ` +
        `${Math.round(logins.requests.average)} |`,
      `| login storm: login p50 / p99 ms | ${logins.latency.p50} / ${logins.latency.p99} |`,
      `| event-loop delay p99 / max ms, quiet | ${ms(quiet.loopDelayP99)} / ` +
        `${ms(quiet.loopDelayMax)} |`,
      `| event-loop delay p99 / max ms, during the storm | ${ms(storm.loopDelayP99)} / ` +
        `${ms(storm.loopDelayMax)} |`,
      `| POST /orders (${ORDER_RATE}/s on ${ORDER_CONNECTIONS} connections) p99 ms, quiet | ` +
        `${quiet.orders.latency.p99} |`,
      `| POST /orders p99 ms, during the storm | ${storm.orders.latency.p99} |`,
      `| POST /orders p99, storm / quiet (SPEC 7: at most 2) | ` +
        `${(storm.orders.latency.p99 / quiet.orders.latency.p99).toFixed(2)} |`,
      `| POST /orders requests/s, quiet / during the storm | ` +
        `${Math.round(quiet.orders.requests.average)} / ` +
        `${Math.round(storm.orders.requests.average)} |`,
      `| unknown user (${TRIALS} trials): mean / p50 ms | ${ms(timing.unknown.mean)} / ` +
        `${ms(timing.unknown.p50)} |`,
      `| wrong password (${TRIALS} trials): mean / p50 ms | ${ms(timing.wrong.mean)} / ` +
        `${ms(timing.wrong.p50)} |`,
      `| difference (wrong − unknown): mean / p50 ms | ` +
        `${ms(timing.wrong.mean - timing.unknown.mean)} / ` +
        `${ms(timing.wrong.p50 - timing.unknown.p50)} |`,
      '',
    ].join('\n'),
  );
  const failed = failures(logins) + failures(storm.orders) + failures(quiet.orders);
  if (failed > 0) {
    process.stderr.write(`${failed} requests failed: the figures above do not measure success.\n`);
    process.exitCode = 1;
  }
} finally {
  await auth.close();
}
