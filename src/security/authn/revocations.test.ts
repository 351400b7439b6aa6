import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { redisAvailable, testDialects } from '../../../test/helpers/database.js';
import { redisReady } from '../../../test/helpers/wait.js';
import type { Restaurant } from '../../modules/restaurants/repository.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { IDENTITY_TEST_ENV, getMe } from '../../modules/auth/auth.test-helpers.js';

const PROPAGATION_LIMIT_MS = 1_000;

function claimsOf(token: string): { sid: string; exp: number } {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sid: string; exp: number };
}

/** Two server processes of one deployment: one database, one master key, one clock. */
async function twoProcesses(
  dialect: 'sqlite' | 'postgres',
  redis: boolean,
): Promise<{ a: TestApp; b: TestApp }> {
  const a = await buildTestApp({ dialect, redis, env: { ...IDENTITY_TEST_ENV } });
  const b = await buildTestApp({
    sameDatabaseAs: a,
    clock: a.clock,
    redis,
    env: { ...IDENTITY_TEST_ENV },
  });
  return { a, b };
}

/** Milliseconds until `app` refuses `token`, or Infinity if it still accepts it after `limit`. */
async function timeUntilRefused(app: TestApp, token: string, limit: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < limit) {
    if ((await getMe(app, token)).statusCode === 401) return performance.now() - started;
    await sleep(10);
  }
  return Number.POSITIVE_INFINITY;
}

describe.each(testDialects())('revocation across processes (%s)', (dialect) => {
  describe.runIf(redisAvailable())('with Redis', () => {
    let a: TestApp;
    let b: TestApp;
    let restaurant: Restaurant;

    beforeAll(async () => {
      ({ a, b } = await twoProcesses(dialect, true));
      await redisReady(a);
      await redisReady(b);
      restaurant = await seedRestaurant(a);
    });
    afterAll(async () => {
      await b.close();
      await a.close();
    });

    it('refuses a token in process B within 1 s of its logout in process A', async () => {
      const user = await signIn(a, restaurant, 'cashier');
      expect((await getMe(b, user.accessToken)).statusCode).toBe(200);

      const logout = await a.app.inject({
        method: 'POST',
        url: '/api/v1/auth/logout',
        headers: user.headers,
      });

      expect(logout.statusCode).toBe(204);
      expect(await timeUntilRefused(b, user.accessToken, 3_000)).toBeLessThan(PROPAGATION_LIMIT_MS);
    });

    it('carries the revocation over Redis itself, not only through the database', async () => {
      const user: SignedInUser = await signIn(a, restaurant, 'cashier');
      const { sid, exp } = claimsOf(user.accessToken);

      // Revoked in a transaction that rolls back: no row ever reaches the database, so only
      // the published message can tell process B.
      await expect(
        inTransaction(a.context.database, async (tx) => {
          await a.context.auth.revocations.revoke(tx, 'session', sid, new Date(exp * 1000));
          throw new Error('rolled back on purpose');
        }),
      ).rejects.toThrow('rolled back on purpose');

      expect(await timeUntilRefused(b, user.accessToken, 3_000)).toBeLessThan(PROPAGATION_LIMIT_MS);
      const rows = await a.context.database.kysely
        .selectFrom('revocations')
        .select('id')
        .where('subject', '=', sid)
        .execute();
      expect(rows).toHaveLength(0);
    });
  });

  describe('without Redis', () => {
    let a: TestApp;
    let b: TestApp;
    let restaurant: Restaurant;

    beforeAll(async () => {
      ({ a, b } = await twoProcesses(dialect, false));
      restaurant = await seedRestaurant(a);
    });
    afterAll(async () => {
      await b.close();
      await a.close();
    });

    it('refuses a token in process B at its next poll after logout in process A', async () => {
      const user = await signIn(a, restaurant, 'cashier');
      expect((await getMe(b, user.accessToken)).statusCode).toBe(200);

      await a.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: user.headers });
      await b.context.auth.revocations.poll(false);

      expect((await getMe(b, user.accessToken)).statusCode).toBe(401);
    });

    it('ends in process B the sessions of a user disabled in process A', async () => {
      const admin = await signIn(a, restaurant, 'admin');
      const user = await signIn(a, restaurant, 'waiter');

      const disable = await a.app.inject({
        method: 'POST',
        url: `/api/v1/users/${user.id}/disable`,
        headers: admin.headers,
      });
      await b.context.auth.revocations.poll(false);

      expect(disable.statusCode).toBe(200);
      expect((await getMe(b, user.accessToken)).statusCode).toBe(401);
      expect((await getMe(b, admin.accessToken)).statusCode).toBe(200);
    });

    it('keeps revocations across a restart: a new process loads them from the database', async () => {
      const user = await signIn(a, restaurant, 'cashier');
      await a.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: user.headers });

      const restarted = await buildTestApp({
        sameDatabaseAs: a,
        clock: a.clock,
        env: { ...IDENTITY_TEST_ENV },
      });
      try {
        expect((await getMe(restarted, user.accessToken)).statusCode).toBe(401);
      } finally {
        await restarted.close();
      }
    });
  });
});
