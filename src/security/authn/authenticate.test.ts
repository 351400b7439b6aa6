import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, uniqueRequestId, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import type { AuditEventsTable } from '../../infra/db/schema.js';
import {
  IDENTITY_TEST_ENV,
  UNAUTHENTICATED,
  b64url,
  withClaims,
} from '../../modules/auth/auth.test-helpers.js';
import type { Restaurant } from '../../modules/restaurants/repository.js';
import { SYSTEM_CHAIN } from '../../audit/recorder.js';

/** Access-token lifetime plus the verifier's clock tolerance, and a little more. */
const PAST_EXPIRY_MS = (900 + 7) * 1000;

describe.each(testDialects())('refused bearer tokens (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;

  beforeAll(async () => {
    t = await buildTestApp({ dialect, env: { ...IDENTITY_TEST_ENV } });
    restaurant = await seedRestaurant(t);
  });
  afterAll(() => t.close());

  /** Calls an authenticated route with `authorization`, under a request id of its own. */
  async function present(
    authorization: string,
  ): Promise<{ response: LightMyRequestResponse; entries: AuditEventsTable[] }> {
    const requestId = uniqueRequestId('token-test');
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization, 'x-request-id': requestId },
    });
    return { response, entries: await auditEntries(t, { requestId }) };
  }

  /** One refusal, answered with the generic 401 and audited once, holding no part of the token. */
  async function expectRefusedOnce(token: string, reason: string): Promise<AuditEventsTable> {
    const { response, entries } = await present(`Bearer ${token}`);

    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(UNAUTHENTICATED);
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry).toMatchObject({
      event_type: 'login_failure',
      action: 'auth.token_rejected',
      outcome: 'failure',
    });
    expect(detailsOf(entry!)).toEqual({ reason });
    const stored = JSON.stringify(entry);
    for (const segment of token.split('.')) expect(stored).not.toContain(segment);
    return entry!;
  }

  it.each([
    ['after it was used while valid', true],
    ['never seen before it expired', false],
  ])('records an expired token against its user: %s', async (_name, usedWhileValid) => {
    const waiter = await signIn(t, restaurant, 'waiter');
    if (usedWhileValid) expect((await present(waiter.headers.authorization)).entries).toEqual([]);
    t.clock.advance(PAST_EXPIRY_MS);

    const entry = await expectRefusedOnce(waiter.accessToken, 'expired');

    expect(entry).toMatchObject({
      restaurant_id: restaurant.id,
      actor_type: 'user',
      actor_id: waiter.id,
      actor_role: 'waiter',
    });
  });

  it('records a tampered token on the system chain, trusting nothing it claims', async () => {
    const cashier = await signIn(t, restaurant, 'cashier');
    const forged = withClaims(cashier.accessToken, { role: 'admin' });

    const entry = await expectRefusedOnce(forged, 'invalid');

    expect(entry).toMatchObject({
      chain_id: SYSTEM_CHAIN,
      restaurant_id: null,
      actor_type: 'anonymous',
      actor_id: null,
      actor_role: null,
    });
  });

  it('records a revoked (logged-out) token against its user', async () => {
    const cashier = await signIn(t, restaurant, 'cashier');
    const logout = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: cashier.headers,
    });
    expect(logout.statusCode).toBeLessThan(300);

    const entry = await expectRefusedOnce(cashier.accessToken, 'revoked');

    expect(entry).toMatchObject({
      restaurant_id: restaurant.id,
      actor_type: 'user',
      actor_id: cashier.id,
    });
  });

  it('records a header that is not a bearer JWT as malformed', async () => {
    const { response, entries } = await present('Basic YWRtaW46YWRtaW4=');

    expect(response.json()).toEqual(UNAUTHENTICATED);
    expect(entries).toHaveLength(1);
    expect(detailsOf(entries[0]!)).toEqual({ reason: 'malformed' });
    expect(JSON.stringify(entries[0])).not.toContain('YWRtaW46YWRtaW4');
  });

  it('writes nothing for a request without a token or with a valid one', async () => {
    const cashier = await signIn(t, restaurant, 'cashier');
    const requestId = uniqueRequestId('token-test');
    await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { 'x-request-id': requestId },
    });

    expect((await present(cashier.headers.authorization)).entries).toEqual([]);
    expect(await auditEntries(t, { requestId })).toEqual([]);
  });
});

describe('a flood of refused bearer tokens', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({ env: { ...IDENTITY_TEST_ENV, CHEFIA_RATE_LIMIT_DEFAULT: '3/60' } });
  });
  afterAll(() => t.close());

  it('is answered 429 without an audit write once the source’s default budget is spent', async () => {
    const forged = `${b64url({ alg: 'EdDSA', kid: 'k1' })}.${b64url({ sub: 'x' })}.c2lnbmF0dXJl`;
    const statuses: number[] = [];

    for (let attempt = 0; attempt < 6; attempt += 1) {
      const response = await t.app.inject({
        method: 'GET',
        url: '/api/v1/auth/me',
        headers: { authorization: `Bearer ${forged}` },
      });
      statuses.push(response.statusCode);
    }

    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    expect(await auditEntries(t, { action: 'auth.token_rejected' })).toHaveLength(3);
  });
});
