import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, seedUser, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { SETTINGS, type SettingDefinition } from '../../config/settings.js';
import type { Restaurant } from '../../modules/restaurants/repository.js';
import { intrusionState } from './state.js';

const closed = { additionalProperties: false } as const;

/** A request from `remoteAddress` to the cheapest route, to see whether the source is blocked. */
const liveFrom = (t: TestApp, remoteAddress: string) =>
  t.app.inject({ method: 'GET', url: '/health/live', remoteAddress });

/** Audit entries of `action` from sources in `ipPrefix`, oldest first. */
const entriesFrom = (t: TestApp, action: string, ipPrefix: string) =>
  t.context.database.kysely
    .selectFrom('audit_events')
    .selectAll()
    .where('action', '=', action)
    .where('ip_prefix', '=', ipPrefix)
    .orderBy('seq')
    .execute();

describe.each(testDialects())('intrusion detection over HTTP (%s)', (dialect) => {
  let t: TestApp;
  let admin: SignedInUser;

  beforeAll(async () => {
    t = await buildTestApp({
      dialect,
      routes: (app) => {
        app.post(
          '/api/v1/test/notes',
          {
            config: { access: { public: true } },
            schema: { body: Type.Object({ note: Type.String({ maxLength: 500 }) }, closed) },
          },
          async (request) => ({ stored: request.body.note }),
        );
        app.get(
          '/api/v1/test/search',
          {
            config: { access: { public: true } },
            schema: { querystring: Type.Object({ q: Type.String({ maxLength: 200 }) }, closed) },
          },
          async (request) => ({ q: request.query.q }),
        );
      },
    });
    admin = await signIn(t, await seedRestaurant(t), 'admin');
  });
  afterAll(() => t.close());

  const note = (text: string, remoteAddress: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/test/notes',
      remoteAddress,
      payload: { note: text },
    });
  it('refuses probes in the path, the query and the body with POS_ERR_THREAT_DETECTED', async () => {
    const probes = [
      { method: 'GET' as const, url: "/api/v1/users/1'%20OR%20'1'='1", location: 'path' },
      {
        method: 'GET' as const,
        url: '/api/v1/users/..%2f..%2f..%2fetc%2fpasswd',
        location: 'path',
      },
      {
        method: 'GET' as const,
        url: `/api/v1/test/search?q=${encodeURIComponent('<script>alert(1)</script>')}`,
        location: 'query',
      },
      {
        method: 'POST' as const,
        url: '/api/v1/test/notes',
        payload: { note: "x' UNION SELECT password_hash FROM users--" },
        location: 'body',
      },
    ];

    for (const [index, probe] of probes.entries()) {
      const response = await t.app.inject({
        method: probe.method,
        url: probe.url,
        remoteAddress: `198.51.100.${index + 1}`,
        headers: admin.headers,
        ...(probe.payload ? { payload: probe.payload } : {}),
      });
      expect(response.statusCode, probe.url).toBe(400);
      expect(response.json()).toEqual({
        statusCode: 400,
        code: 'POS_ERR_THREAT_DETECTED',
        error: 'Bad Request',
        message: 'The request was rejected.',
      });

      const [entry] = await entriesFrom(t, 'intrusion.detected', '198.51.100.0/24').then((rows) =>
        rows.filter((row) => row.request_id === response.headers['x-request-id']),
      );
      expect(entry).toMatchObject({
        event_type: 'security_alert',
        outcome: 'denied',
        actor_type: 'user',
        actor_id: admin.id,
        restaurant_id: admin.restaurantId,
        risk_score: 10,
      });
      expect(JSON.parse(entry!.details)).toMatchObject({ location: probe.location });
    }
  });

  it('also watches paths no route answers, where scanners probe', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/static/..%2f..%2f..%2fetc%2fpasswd',
      remoteAddress: '198.51.100.40',
    });

    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('POS_ERR_THREAT_DETECTED');
    const [entry] = await entriesFrom(t, 'intrusion.detected', '198.51.100.0/24').then((rows) =>
      rows.filter((row) => row.request_id === response.headers['x-request-id']),
    );
    expect(entry).toMatchObject({ resource_id: 'GET unmatched', actor_type: 'anonymous' });
  });

  it('lets ordinary restaurant text through, apostrophes and double dashes included', async () => {
    for (const text of [
      "O'Brien",
      "Mesa do O'Brien -- sem pressa",
      'sem cebola -- e OR extra queijo',
      'no onions -- and extra cheese',
      'Pão de queijo 1/2 porção; refri 2L',
    ]) {
      const response = await note(text, '198.51.100.50');
      expect(response.statusCode, text).toBe(200);
      expect(response.json()).toEqual({ stored: text });
    }
    const search = await t.app.inject({
      method: 'GET',
      url: `/api/v1/test/search?q=${encodeURIComponent("O'Brien")}`,
      remoteAddress: '198.51.100.50',
    });
    expect(search.statusCode).toBe(200);
  });

  it('does not read passwords: a probe-like wrong password is just a failed login', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '198.51.100.60',
      payload: {
        restaurant: admin.restaurantSlug,
        username: admin.username,
        password: "' OR '1'='1' --",
      },
    });

    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('POS_ERR_UNAUTHENTICATED');
  });

  it('blocks a source after three probes while other sources carry on', async () => {
    const probe = "1' OR 1=1--";
    expect((await note(probe, '203.0.113.66')).statusCode).toBe(400);
    expect((await note(probe, '203.0.113.66')).statusCode).toBe(400);
    expect((await liveFrom(t, '203.0.113.66')).statusCode).toBe(200);
    expect((await note(probe, '203.0.113.66')).statusCode).toBe(400);

    const blocked = await liveFrom(t, '203.0.113.66');
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json()).toMatchObject({ code: 'POS_ERR_IP_BLOCKED' });
    const clean = await note('sem cebola', '203.0.113.66');
    expect(clean.statusCode).toBe(403);
    expect(clean.json().code).toBe('POS_ERR_IP_BLOCKED');

    expect((await liveFrom(t, '203.0.113.67')).statusCode).toBe(200);
    expect((await note('sem cebola', '203.0.113.67')).statusCode).toBe(200);

    const detections = await entriesFrom(t, 'intrusion.detected', '203.0.113.0/24');
    expect(detections.map((row) => JSON.parse(row.details) as unknown)).toEqual([
      { kind: 'sql_injection', location: 'body', detections: 1, blocked: false },
      { kind: 'sql_injection', location: 'body', detections: 2, blocked: false },
      { kind: 'sql_injection', location: 'body', detections: 3, blocked: true },
    ]);
    const [block] = await entriesFrom(t, 'ip.block', '203.0.113.0/24');
    expect(block).toMatchObject({ event_type: 'security_alert', actor_type: 'system' });
    expect(JSON.parse(block!.details)).toEqual({
      reason: 'threat_detected',
      minutes: 15,
      detections: 3,
    });
    const rows = await t.context.database.kysely
      .selectFrom('blocked_ips')
      .selectAll()
      .where('address', '=', '203.0.113.66')
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ reason: 'threat_detected', removed_at: null });

    const figures = intrusionState();
    expect(figures.automaticBlocks).toBeGreaterThanOrEqual(1);
    expect(figures.blockedRequests).toBeGreaterThanOrEqual(2);
    expect(figures.threatsDetected).toBeGreaterThanOrEqual(3);
  });

  it('lifts an automatic block after 15 minutes', async () => {
    t.clock.advance(14 * 60_000);
    expect((await liveFrom(t, '203.0.113.66')).statusCode).toBe(403);
    t.clock.advance(60_000);
    expect((await liveFrom(t, '203.0.113.66')).statusCode).toBe(200);
  });

  it('lets old probes age out: two, then one eleven minutes later, block nothing', async () => {
    const probe = '<img src=x onerror=alert(1)>';
    expect((await note(probe, '203.0.113.70')).statusCode).toBe(400);
    expect((await note(probe, '203.0.113.70')).statusCode).toBe(400);
    t.clock.advance(11 * 60_000);
    expect((await note(probe, '203.0.113.70')).statusCode).toBe(400);

    expect((await liveFrom(t, '203.0.113.70')).statusCode).toBe(200);
  });

  it('never blocks loopback, though it still refuses and audits its probes', async () => {
    for (let i = 0; i < 4; i += 1) {
      expect((await note('../../../../etc/passwd', '127.0.0.1')).statusCode).toBe(400);
    }

    expect((await liveFrom(t, '127.0.0.1')).statusCode).toBe(200);
    const detections = await entriesFrom(t, 'intrusion.detected', '127.0.0.0/24');
    expect(detections.at(-1) && JSON.parse(detections.at(-1)!.details)).toMatchObject({
      kind: 'path_traversal',
      detections: 4,
      blocked: false,
    });
  });

  it('blocks a source that fails logins across many accounts', async () => {
    const fail = (remoteAddress: string, username: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress,
        payload: { restaurant: admin.restaurantSlug, username, password: 'not-the-password-1' },
      });

    for (let i = 0; i < 19; i += 1) {
      expect((await fail('203.0.113.90', `guess${i % 5}`)).statusCode).toBe(401);
    }
    expect((await liveFrom(t, '203.0.113.90')).statusCode).toBe(200);
    expect((await fail('203.0.113.90', 'guess4')).statusCode).toBe(401);
    expect((await liveFrom(t, '203.0.113.90')).statusCode).toBe(403);

    // Twenty failures on one account are the lockout's business, not a sweep.
    for (let i = 0; i < 20; i += 1) {
      expect((await fail('203.0.113.91', 'onlyone')).statusCode).toBe(401);
    }
    expect((await liveFrom(t, '203.0.113.91')).statusCode).toBe(200);

    const [block] = await entriesFrom(t, 'ip.block', '203.0.113.0/24').then((rows) =>
      rows.filter((row) => JSON.parse(row.details).reason === 'brute_force'),
    );
    expect(JSON.parse(block!.details)).toEqual({
      reason: 'brute_force',
      minutes: 15,
      failures: 20,
      accounts: 5,
    });
  });

  it('keeps blocks across a restart: a new process on the same database refuses the source', async () => {
    const restarted = await buildTestApp({ sameDatabaseAs: t, clock: t.clock });
    try {
      const response = await restarted.app.inject({
        method: 'GET',
        url: '/health/live',
        remoteAddress: '203.0.113.90',
      });
      expect(response.statusCode).toBe(403);
    } finally {
      await restarted.close();
    }
  });
});

/** Every rate limit at its production default, instead of the fixture's generous ones. */
const PRODUCTION_RATE_LIMITS: Record<string, string> = Object.fromEntries(
  (SETTINGS as readonly SettingDefinition[])
    .filter((setting) => setting.env.startsWith('CHEFIA_RATE_LIMIT_'))
    .map((setting) => [setting.env, setting.default ?? '']),
);

describe('credential sweeps under the production rate limits', () => {
  let t: TestApp;
  let restaurant: Restaurant;

  beforeAll(async () => {
    t = await buildTestApp({ env: PRODUCTION_RATE_LIMITS });
    restaurant = await seedRestaurant(t);
  });
  afterAll(() => t.close());

  const login = (remoteAddress: string, username: string, password = 'not-the-password-1') =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress,
      payload: { restaurant: restaurant.slug, username, password },
    });

  it('runs with the auth limit of SPEC 5.4', () => {
    expect(PRODUCTION_RATE_LIMITS).toMatchObject({ CHEFIA_RATE_LIMIT_AUTH: '5/300' });
  });

  it('blocks a source that cycles through usernames and keeps going past its 429s', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      statuses.push((await login('203.0.113.120', `guess${i}`)).statusCode);
    }

    // Only five guesses reach the password check; the refused attempts complete the sweep.
    expect(statuses).toEqual([...Array<number>(5).fill(401), ...Array<number>(15).fill(429)]);
    const blocked = await login('203.0.113.120', 'guess20');
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json()).toEqual({
      statusCode: 403,
      code: 'POS_ERR_IP_BLOCKED',
      error: 'Forbidden',
      message: 'Requests from this source are blocked.',
    });
    const live = await liveFrom(t, '203.0.113.120');
    expect(live.statusCode).toBe(403);
    expect(live.json().code).toBe('POS_ERR_IP_BLOCKED');

    const [block] = await entriesFrom(t, 'ip.block', '203.0.113.0/24');
    expect(JSON.parse(block!.details)).toEqual({
      reason: 'brute_force',
      minutes: 15,
      failures: 20,
      accounts: 5,
    });
  });

  it('still serves a different address, whose staff sign in as usual', async () => {
    const cashier = await seedUser(t, restaurant, 'cashier');

    const response = await login('203.0.113.121', cashier.username, cashier.password);

    expect(response.statusCode).toBe(200);
    expect(response.json()).toHaveProperty('accessToken');
  });

  it('leaves one user retrying their own account through the 429s to the lockout', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i += 1) {
      statuses.push((await login('203.0.113.122', 'forgetful')).statusCode);
    }

    expect(statuses).toEqual([...Array<number>(5).fill(401), ...Array<number>(20).fill(429)]);
    const live = await liveFrom(t, '203.0.113.122');
    expect(live.statusCode).toBe(200);
  });
});
