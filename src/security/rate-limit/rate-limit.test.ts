import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ConfigError } from '../../config/load.js';
import { loadConfig } from '../../config/config.js';
import { ManualClock } from '../../core/clock.js';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { insertProducts } from '../../../test/helpers/products.js';
import { parseRateLimit } from './limits.js';
import { rateLimitState } from './state.js';
import { MemoryWindowCounter } from './window-counter.js';

/** SPEC 5.4's limits, as a production start has them. */
const SPEC_LIMITS = {
  CHEFIA_RATE_LIMIT_DEFAULT: '100/60',
  CHEFIA_RATE_LIMIT_AUTH: '5/300',
  CHEFIA_RATE_LIMIT_PAYMENT: '10/60',
  CHEFIA_RATE_LIMIT_REPORT: '5/60',
};
const TRUSTED_PROXY = '10.0.0.5';

describe('rate limit settings', () => {
  it('reads N/SECONDS and refuses anything that could silently disable a class', () => {
    expect(parseRateLimit('100/60')).toEqual({ max: 100, windowSeconds: 60 });
    expect(parseRateLimit(' 5 / 300 ')).toEqual({ max: 5, windowSeconds: 300 });
    for (const bad of [
      '',
      '100',
      '0/60',
      '100/0',
      '-1/60',
      '1.5/60',
      '100/86401',
      'x/y',
      '10/60/2',
    ]) {
      expect(parseRateLimit(bad)).toBeNull();
    }
  });

  it('defaults to SPEC 5.4 and stops the start on a malformed limit, naming the setting', () => {
    const base = { NODE_ENV: 'test', CHEFIA_TLS: 'false' };
    expect(loadConfig(base).protection.rateLimits).toEqual({
      default: { max: 100, windowSeconds: 60 },
      auth: { max: 5, windowSeconds: 300 },
      payment: { max: 10, windowSeconds: 60 },
      report: { max: 5, windowSeconds: 60 },
    });
    expect(
      loadConfig({ ...base, CHEFIA_RATE_LIMIT_PAYMENT: '20/30' }).protection.rateLimits.payment,
    ).toEqual({ max: 20, windowSeconds: 30 });

    expect(() => loadConfig({ ...base, CHEFIA_RATE_LIMIT_AUTH: '5' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, CHEFIA_RATE_LIMIT_AUTH: '0/300' })).toThrow(
      /CHEFIA_RATE_LIMIT_AUTH/,
    );
  });
});

describe('memory window counter', () => {
  it('counts within a window and starts again when the window ends', async () => {
    const clock = new ManualClock();
    const counter = new MemoryWindowCounter(clock);

    expect(await counter.increment('a', 60_000)).toEqual({ count: 1, resetInMs: 60_000 });
    clock.advance(20_000);
    expect(await counter.increment('a', 60_000)).toEqual({ count: 2, resetInMs: 40_000 });
    expect(await counter.increment('b', 60_000)).toEqual({ count: 1, resetInMs: 60_000 });
    clock.advance(40_000);
    expect(await counter.increment('a', 60_000)).toEqual({ count: 1, resetInMs: 60_000 });
  });

  it('stays within its key budget under a flood of new clients', async () => {
    const counter = new MemoryWindowCounter(new ManualClock(), 1_000);
    for (let i = 0; i < 5_000; i += 1) await counter.increment(`ip:${i}`, 60_000);

    expect(counter.size).toBeLessThanOrEqual(1_000);
    // The newest client keeps its window.
    expect((await counter.increment('ip:4999', 60_000)).count).toBe(2);
  });
});

describe('rate limits over HTTP (SPEC 5.4)', () => {
  let t: TestApp;
  let first: SignedInUser;
  let second: SignedInUser;
  let productId: string;

  beforeAll(async () => {
    t = await buildTestApp({
      env: { ...SPEC_LIMITS, CHEFIA_TRUSTED_PROXIES: TRUSTED_PROXY },
      routes: (app) => {
        const echo = async () => ({ ok: true });
        app.get('/api/v1/test/open', { config: { access: { public: true } } }, echo);
        app.get(
          '/api/v1/test/report',
          { config: { access: { public: true }, rateClass: 'report' } },
          echo,
        );
        app.post(
          '/api/v1/test/pay',
          {
            config: { access: { public: true }, rateClass: 'payment' },
            schema: {
              body: Type.Object({ amountCents: Type.Integer() }, { additionalProperties: false }),
            },
          },
          echo,
        );
      },
    });
    const restaurant = await seedRestaurant(t);
    // Two logins from 127.0.0.1: within its auth budget of five.
    first = await signIn(t, restaurant, 'cashier');
    second = await signIn(t, restaurant, 'waiter');
    // Written directly: creating it through the API would need an admin's login, a sixth one.
    productId = t.context.ids();
    await insertProducts(
      t.context.database.kysely,
      restaurant.id,
      [{ id: productId, name: 'X-Burguer', priceCents: 2590 }],
      t.clock.now().toISOString(),
    );
  });
  afterAll(() => t.close());

  const me = (user: SignedInUser) =>
    t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.headers });

  it("answers 429 to a client flooding a route while another client's orders go through", async () => {
    for (let i = 1; i <= 100; i += 1) {
      const response = await me(first);
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-remaining']).toBe(String(100 - i));
    }

    const limited = await me(first);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ statusCode: 429, code: 'POS_ERR_RATE_LIMITED' });
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.headers['ratelimit-limit']).toBe('100');
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect(limited.headers['ratelimit-reset']).toBe('60');
    expect(limited.headers['x-request-id']).toBeDefined();

    const order = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: second.headers,
      payload: { type: 'dine_in', tableLabel: 'Mesa 2', items: [{ productId, quantity: 1 }] },
    });
    expect(order.statusCode).toBe(201);
    expect(order.headers['ratelimit-remaining']).toBe('99');
    expect((await me(first)).statusCode).toBe(429);
  });

  it('lets the flooding client in again once its window has passed', async () => {
    t.clock.advance(30_000);
    expect((await me(first)).headers['retry-after']).toBe('30');

    t.clock.advance(30_000);
    expect((await me(first)).statusCode).toBe(200);
  });

  it('counts failed logins by address and answers 429 to the sixth within 300 s', async () => {
    const attempt = (remoteAddress: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress,
        payload: { restaurant: 'nowhere', username: 'someone', password: 'wrong-password-1' },
      });

    for (let i = 0; i < 5; i += 1) {
      expect((await attempt('203.0.113.10')).statusCode).toBe(401);
    }
    const sixth = await attempt('203.0.113.10');
    expect(sixth.statusCode).toBe(429);
    expect(sixth.json().code).toBe('POS_ERR_RATE_LIMITED');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(sixth.headers['retry-after'])).toBeLessThanOrEqual(300);

    expect((await attempt('203.0.113.11')).statusCode).toBe(401);

    t.clock.advance(299_000);
    expect((await attempt('203.0.113.10')).statusCode).toBe(429);
    t.clock.advance(1_000);
    expect((await attempt('203.0.113.10')).statusCode).toBe(401);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: '198.51.100.7',
        headers: { 'x-forwarded-for': `192.0.2.${i + 1}` },
        payload: { restaurant: 'nowhere', username: 'someone', password: 'wrong-password-1' },
      });
      statuses.push(response.statusCode);
    }

    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('believes X-Forwarded-For from the trusted proxy, one budget per real client', async () => {
    const through = (client: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: TRUSTED_PROXY,
        headers: { 'x-forwarded-for': client },
        payload: { restaurant: 'nowhere', username: 'someone', password: 'wrong-password-1' },
      });

    for (let i = 0; i < 5; i += 1) expect((await through('192.0.2.50')).statusCode).toBe(401);
    expect((await through('192.0.2.50')).statusCode).toBe(429);
    expect((await through('192.0.2.51')).statusCode).toBe(401);
  });

  it('gives the report and payment classes their own, smaller budgets', async () => {
    const report = () =>
      t.app.inject({ method: 'GET', url: '/api/v1/test/report', remoteAddress: '203.0.113.20' });
    const pay = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/test/pay',
        remoteAddress: '203.0.113.20',
        payload: { amountCents: 100 },
      });

    for (let i = 0; i < 5; i += 1) expect((await report()).statusCode).toBe(200);
    expect((await report()).statusCode).toBe(429);

    for (let i = 0; i < 10; i += 1) expect((await pay()).statusCode).toBe(200);
    expect((await pay()).statusCode).toBe(429);

    const open = await t.app.inject({
      method: 'GET',
      url: '/api/v1/test/open',
      remoteAddress: '203.0.113.20',
    });
    expect(open.statusCode).toBe(200);
    expect(open.headers['ratelimit-limit']).toBe('100');
  });

  it('never limits the health probes', async () => {
    for (let i = 0; i < 150; i += 1) {
      const response = await t.app.inject({
        method: 'GET',
        url: '/health/live',
        remoteAddress: '203.0.113.30',
      });
      expect(response.statusCode).toBe(200);
    }
  });

  it('answers a flood of bad API keys 429 after the auth budget, auditing only the budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      const response = await t.app.inject({
        method: 'GET',
        url: '/api/v1/auth/me',
        remoteAddress: '203.0.113.40',
        headers: { 'x-api-key': `sk_${'A'.repeat(42)}${i}` },
      });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);

    const refusals = await t.context.database.kysely
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'apikey.authenticate')
      .where('ip_prefix', 'like', '203.0.113.%')
      .execute();
    expect(refusals).toHaveLength(5);
  });

  it('reports how many requests it refused', () => {
    expect(rateLimitState().limited).toBeGreaterThan(0);
    expect(rateLimitState().redisFallback).toBe(false);
  });
});
