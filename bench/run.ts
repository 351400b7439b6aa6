/**
 * Runs every scenario in `bench/scenarios/` (in file-name order, baselines first) against
 * 127.0.0.1 with autocannon and prints a Markdown report: requests per second, p50 and p99
 * latency, and each scenario's throughput as a ratio of its baseline measured in the same run,
 * because absolute figures drift between machines and runs (SPEC section 7).
 *
 *   npm run bench
 *   BENCH_DURATION=10 BENCH_CONNECTIONS=100 BENCH_ONLY=app-health-live npm run bench
 */
import { readdir } from 'node:fs/promises';
import os from 'node:os';

import autocannon from 'autocannon';

import type { BenchTarget, Scenario } from './scenario.js';

interface Measurement {
  scenario: Scenario;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  failures: number;
}

const DURATION_SECONDS = integerFromEnv('BENCH_DURATION', 5, 1);
const CONNECTIONS = integerFromEnv('BENCH_CONNECTIONS', 50, 1);
const WARMUP_SECONDS = integerFromEnv('BENCH_WARMUP', 1, 0);
const ONLY = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean);

function integerFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer of at least ${min}.`);
  }
  return value;
}

async function loadScenarios(): Promise<Scenario[]> {
  const folder = new URL('./scenarios/', import.meta.url);
  const files = (await readdir(folder)).filter((file) => file.endsWith('.ts')).sort();
  const scenarios: Scenario[] = [];
  for (const file of files) {
    const module = (await import(new URL(file, folder).href)) as Partial<Scenario>;
    if (typeof module.name !== 'string' || typeof module.setup !== 'function') {
      throw new Error(`bench/scenarios/${file} must export a name and a setup function.`);
    }
    scenarios.push({
      name: module.name,
      description: module.description ?? '',
      setup: module.setup,
      ...(module.compareTo ? { compareTo: module.compareTo } : {}),
    });
  }
  return selected(scenarios);
}

/** BENCH_ONLY's scenarios plus the baselines they are compared with. */
function selected(scenarios: Scenario[]): Scenario[] {
  if (ONLY.length === 0) return scenarios;
  const wanted = new Set(ONLY);
  for (const scenario of scenarios) {
    if (wanted.has(scenario.name) && scenario.compareTo) wanted.add(scenario.compareTo);
  }
  return scenarios.filter((scenario) => wanted.has(scenario.name));
}

async function load(target: BenchTarget, durationSeconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: target.url,
    method: target.method ?? 'GET',
    ...(target.headers ? { headers: target.headers } : {}),
    ...(target.body ? { body: target.body } : {}),
    ...(target.idReplacement ? { idReplacement: true } : {}),
    connections: CONNECTIONS,
    duration: durationSeconds,
    // The load generator runs in its own thread so it does not share the server's event loop.
    workers: 1,
  });
}

async function measure(scenario: Scenario): Promise<Measurement> {
  const target = await scenario.setup();
  try {
    if (!target.url.startsWith('http://127.0.0.1:')) {
      throw new Error(`${scenario.name} must listen on http://127.0.0.1.`);
    }
    if (WARMUP_SECONDS > 0) await load(target, WARMUP_SECONDS);
    const result = await load(target, DURATION_SECONDS);
    return {
      scenario,
      requestsPerSecond: result.requests.average,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      total: result.requests.total,
      failures: result.errors + result.timeouts + result.non2xx,
    };
  } finally {
    await target.close();
  }
}

function report(measurements: Measurement[]): string {
  const byName = new Map(measurements.map((m) => [m.scenario.name, m]));
  const ratio = (m: Measurement): string => {
    const baseline = m.scenario.compareTo ? byName.get(m.scenario.compareTo) : undefined;
    if (!baseline) return 'baseline';
    const share = m.requestsPerSecond / baseline.requestsPerSecond;
    return `${share.toFixed(2)} of ${baseline.scenario.name}`;
  };

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return [
    `Run ${new Date().toISOString()} on ${os.availableParallelism()} CPUs (${cpu}), ` +
      `Node ${process.version}, ${os.platform()} ${os.release()}.`,
    `${DURATION_SECONDS} s per scenario after ${WARMUP_SECONDS} s of warm-up, ` +
      `${CONNECTIONS} connections, load generator and server on 127.0.0.1.`,
    '',
    '| scenario | requests/s | p50 ms | p99 ms | requests | failed | throughput |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...measurements
      .map((m) =>
        [
          `\`${m.scenario.name}\``,
          Math.round(m.requestsPerSecond),
          m.p50Ms,
          m.p99Ms,
          m.total,
          m.failures,
          ratio(m),
        ].join(' | '),
      )
      .map((row) => `| ${row} |`),
    '',
    ...measurements.map((m) => `- \`${m.scenario.name}\`: ${m.scenario.description}`),
  ].join('\n');
}

const scenarios = await loadScenarios();
const measurements: Measurement[] = [];
for (const scenario of scenarios) {
  process.stderr.write(`benchmarking ${scenario.name} …\n`);
  measurements.push(await measure(scenario));
}
process.stdout.write(`${report(measurements)}\n`);

if (measurements.some((m) => m.failures > 0)) {
  process.stderr.write('some requests failed: the figures above do not measure success.\n');
  process.exitCode = 1;
}
