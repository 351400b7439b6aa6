import { request } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { signIn, seedRestaurant, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { metricSample } from '../../../test/helpers/metrics.js';
import { AppError } from '../../core/errors.js';
import { inTransaction } from '../db/transaction.js';
import { METRICS_HOST, startMetricsListener } from './listener.js';
import { AppMetrics } from './metrics.js';

const METRIC_NAMES = [
  'chefia_http_requests_total',
  'chefia_http_request_duration_seconds',
  'chefia_http_rejections_total',
  'chefia_rate_limited_requests_total',
  'chefia_blocked_requests_total',
  'chefia_login_failures_total',
  'chefia_security_alerts_total',
  'chefia_alert_deliveries_total',
  'chefia_alert_outbox_pending',
  'chefia_redis_fallback',
  'chefia_rate_limit_fallbacks_total',
];

/** The value of one sample in Prometheus text, or 0 when the series does not exist yet. */
const sample = (text: string, series: string): number => metricSample(text, series) ?? 0;

describe.each(testDialects())('GET /metrics on %s', (dialect) => {
  let t: TestApp;
  let admin: SignedInUser;
  let cashier: SignedInUser;
  let manager: SignedInUser;
  let restaurantSlug: string;

  beforeAll(async () => {
    t = await buildTestApp({
      dialect,
      routes: (app) => {
        const open = { config: { access: { public: true as const } } };
        app.get('/api/v1/test/limited', open, async () => {
          throw new AppError('POS_ERR_RATE_LIMITED');
        });
        app.get('/api/v1/test/blocked', open, async () => {
          throw new AppError('POS_ERR_IP_BLOCKED');
        });
        app.get('/api/v1/test/items/:id', open, async () => ({ ok: true }));
      },
    });
    const restaurant = await seedRestaurant(t);
    restaurantSlug = restaurant.slug;
    admin = await signIn(t, restaurant, 'admin');
    cashier = await signIn(t, restaurant, 'cashier');
    manager = await signIn(t, restaurant, 'manager');
  });
  afterAll(() => t.close());

  const scrape = async () => {
    const response = await t.app.inject({ method: 'GET', url: '/metrics', headers: admin.headers });
    expect(response.statusCode).toBe(200);
    return response.body;
  };
  const hit = (url: string) => t.app.inject({ method: 'GET', url });

  it('answers 401 without a token', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('POS_ERR_UNAUTHENTICATED');
  });

  it.each(['cashier', 'manager'] as const)('answers 403 to a %s', async (role) => {
    const user = role === 'cashier' ? cashier : manager;
    const response = await t.app.inject({ method: 'GET', url: '/metrics', headers: user.headers });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('POS_ERR_FORBIDDEN');
    expect(response.body).not.toContain('chefia_');
  });

  it('answers an admin with Prometheus text holding every metric', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/metrics', headers: admin.headers });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of METRIC_NAMES) expect(response.body).toContain(`# TYPE ${name} `);
    expect(sample(response.body, 'chefia_redis_fallback')).toBe(0);
  });

  it('counts requests by route pattern, not by raw URL', async () => {
    const series =
      'chefia_http_requests_total{method="GET",route="/api/v1/test/items/:id",status="200"}';
    const before = sample(await scrape(), series);

    await hit('/api/v1/test/items/1');
    await hit('/api/v1/test/items/2');
    await hit('/no/such/path/42');
    const text = await scrape();

    expect(sample(text, series)).toBe(before + 2);
    expect(text).not.toContain('/api/v1/test/items/1');
    expect(text).not.toContain('/no/such/path');
    expect(text).toContain('route="unmatched",status="404"');
    expect(text).toContain(
      'chefia_http_request_duration_seconds_count{method="GET",route="/api/v1/test/items/:id"}',
    );
  });

  it('counts rate-limited and blocked requests by their error codes', async () => {
    const before = await scrape();

    await hit('/api/v1/test/limited');
    await hit('/api/v1/test/limited');
    await hit('/api/v1/test/blocked');
    const after = await scrape();

    const delta = (series: string) => sample(after, series) - sample(before, series);
    expect(delta('chefia_rate_limited_requests_total')).toBe(2);
    expect(delta('chefia_blocked_requests_total')).toBe(1);
    expect(delta('chefia_http_rejections_total{code="POS_ERR_RATE_LIMITED"}')).toBe(2);
    expect(delta('chefia_http_rejections_total{code="POS_ERR_IP_BLOCKED"}')).toBe(1);
  });

  it('counts failed logins and alerts raised', async () => {
    const before = await scrape();

    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { restaurant: restaurantSlug, username: cashier.username, password: 'wrong-pass' },
    });
    await inTransaction(t.context.database, (tx) =>
      t.context.audit.record(tx, {
        type: 'token_reuse',
        action: 'auth.refresh_reuse',
        outcome: 'denied',
        restaurantId: cashier.restaurantId,
        actor: { type: 'user', id: cashier.id, role: 'cashier' },
      }),
    );
    const after = await scrape();

    expect(login.statusCode).toBe(401);
    const delta = (series: string) => sample(after, series) - sample(before, series);
    expect(delta('chefia_login_failures_total')).toBe(1);
    expect(delta('chefia_security_alerts_total')).toBe(1);
  });
});

describe('metrics registry', () => {
  it('keeps each instance separate, so many apps can live in one process', async () => {
    const one = new AppMetrics({ alertThreshold: 7 });
    const two = new AppMetrics({ alertThreshold: 7 });

    one.observeRejection('POS_ERR_RATE_LIMITED');

    expect(sample((await one.exposition()).body, 'chefia_rate_limited_requests_total')).toBe(1);
    expect(sample((await two.exposition()).body, 'chefia_rate_limited_requests_total')).toBe(0);
  });

  it('exposes a gauge another module registers, read at every scrape', async () => {
    const metrics = new AppMetrics({ alertThreshold: 7 });
    let fallback = 0;
    metrics.registerGauge({
      name: 'chefia_test_fallback',
      help: 'A value owned elsewhere.',
      read: () => fallback,
    });

    const first = (await metrics.exposition()).body;
    fallback = 1;
    const second = (await metrics.exposition()).body;

    expect(sample(first, 'chefia_test_fallback')).toBe(0);
    expect(sample(second, 'chefia_test_fallback')).toBe(1);
  });

  it('labels codes outside the catalog as other, so clients cannot add series', async () => {
    const metrics = new AppMetrics({ alertThreshold: 7 });
    metrics.observeRejection('POS_ERR_MADE_UP_BY_A_CLIENT');
    const text = (await metrics.exposition()).body;
    expect(text).toContain('chefia_http_rejections_total{code="other"} 1');
    expect(text).not.toContain('MADE_UP');
  });
});

describe('the loopback metrics listener', () => {
  const metrics = new AppMetrics({ alertThreshold: 7 });
  let server: Awaited<ReturnType<typeof startMetricsListener>>;
  let port: number;

  beforeAll(async () => {
    server = await startMetricsListener(metrics, 0);
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  const fetchLocal = (method: string, path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const outgoing = request({ host: METRICS_HOST, port, method, path }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      outgoing.once('error', reject);
      outgoing.end();
    });

  it('binds to 127.0.0.1 only', () => {
    expect((server.address() as AddressInfo).address).toBe('127.0.0.1');
  });

  it('serves GET /metrics and nothing else', async () => {
    const metricsPage = await fetchLocal('GET', '/metrics');
    const other = await fetchLocal('GET', '/api/v1/users');
    const post = await fetchLocal('POST', '/metrics');

    expect(metricsPage.status).toBe(200);
    expect(metricsPage.body).toContain('chefia_http_requests_total');
    expect(other).toEqual({ status: 404, body: '' });
    expect(post).toEqual({ status: 404, body: '' });
  });
});
