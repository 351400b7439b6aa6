import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { STAFF_PASSWORD, seedRestaurant, seedUser, signIn } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import {
  TEST_HASH_PARAMS,
  countingHasher,
  createPasswordHasher,
} from '../../security/passwords/index.js';
import type { Restaurant } from '../restaurants/repository.js';
import {
  IDENTITY_TEST_ENV,
  UNAUTHENTICATED,
  bearer,
  getMe,
  postLogin,
  userRow,
} from './auth.test-helpers.js';

const WRONG_PASSWORD = 'Errado-Totalmente-9931';
const LOCK_MS = 30 * 60_000;

describe.each(testDialects())('login (%s)', (dialect) => {
  const { hasher, counts } = countingHasher(createPasswordHasher(TEST_HASH_PARAMS));
  let t: TestApp;
  let restaurant: Restaurant;

  beforeAll(async () => {
    t = await buildTestApp({ dialect, passwordHasher: hasher, env: { ...IDENTITY_TEST_ENV } });
    restaurant = await seedRestaurant(t);
  });
  afterAll(() => t.close());

  const attempt = (username: string, password: string) =>
    postLogin(t, { restaurant: restaurant.slug, username, password });

  describe('success', () => {
    it('answers an access token, its lifetime and a refresh token, and audits the login', async () => {
      const user = await seedUser(t, restaurant, 'cashier');

      const response = await attempt(user.username, user.password);

      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toMatchObject({
        tokenType: 'Bearer',
        expiresIn: 900,
        mfaEnrolmentRequired: false,
        passwordChangeRequired: false,
      });
      expect(body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await getMe(t, body.accessToken)).json()).toMatchObject({ id: user.id });
      const [success] = await auditEntries(t, { type: 'login_success', actorId: user.id });
      expect(success?.resource_type).toBe('session');
    });

    it('accepts the username in any case and with stray spaces', async () => {
      const user = await seedUser(t, restaurant, 'waiter');

      const response = await attempt(`  ${user.username.toUpperCase()} `, user.password);

      expect(response.statusCode).toBe(200);
    });

    it('takes the password exactly as typed: spaces count and nothing is trimmed', async () => {
      const password = '  Fogao Lenha Quintal 2048  ';
      const user = await seedUser(t, restaurant, 'waiter', { password });

      expect((await attempt(user.username, password.trim())).statusCode).toBe(401);
      expect((await attempt(user.username, password)).statusCode).toBe(200);
    });

    it('accepts a 128-character password, counted in characters, not bytes', async () => {
      const sentence =
        'Fogão a lenha 🔥 no quintal da vovó, 2048 pães de queijo 🧀 e café ☕ passado no ' +
        'coador de pano às 5h17 da manhã, sem pressa nenhuma, ok?';
      const password = Array.from(sentence).slice(0, 128).join('');
      expect(password.length).toBeGreaterThan(128);
      const user = await seedUser(t, restaurant, 'waiter', { password });

      expect((await attempt(user.username, password)).statusCode).toBe(200);
      expect((await attempt(user.username, `${password}x`)).statusCode).toBe(400);
    });

    it('upgrades a legacy bcrypt hash to argon2id at the next successful login', async () => {
      const user = await seedUser(t, restaurant, 'cashier');
      await t.context.database.kysely
        .updateTable('users')
        .set({ password_hash: bcrypt.hashSync(user.password, 4) })
        .where('id', '=', user.id)
        .execute();

      const response = await attempt(user.username, user.password);

      expect(response.statusCode).toBe(200);
      expect((await userRow(t, user.id)).password_hash).toMatch(/^\$argon2id\$v=19\$/);
      const [success] = await auditEntries(t, { type: 'login_success', actorId: user.id });
      expect(detailsOf(success!)).toMatchObject({ rehashed: true });
      expect((await attempt(user.username, user.password)).statusCode).toBe(200);
    });
  });

  describe('failures reveal nothing', () => {
    beforeEach(() => {
      counts.hash = 0;
      counts.verify = 0;
      counts.burn = 0;
      counts.argon2Verifications = 0;
    });

    /** One attempt and the argon2 verifications it cost. */
    async function measured(body: Parameters<typeof postLogin>[1]) {
      const before = counts.argon2Verifications;
      const response = await postLogin(t, body);
      return { response, argon2: counts.argon2Verifications - before };
    }

    it('answers an unknown user and a wrong password with the same status, the same bytes and one argon2 verification each', async () => {
      const user = await seedUser(t, restaurant, 'cashier');

      const unknown = await measured({
        restaurant: restaurant.slug,
        username: 'nobody-here',
        password: WRONG_PASSWORD,
      });
      const wrong = await measured({
        restaurant: restaurant.slug,
        username: user.username,
        password: WRONG_PASSWORD,
      });
      const noRestaurant = await measured({
        restaurant: 'no-such-restaurant',
        username: user.username,
        password: WRONG_PASSWORD,
      });

      expect(unknown.response.statusCode).toBe(401);
      expect(unknown.response.json()).toEqual(UNAUTHENTICATED);
      expect(wrong.response.statusCode).toBe(unknown.response.statusCode);
      expect(wrong.response.body).toBe(unknown.response.body);
      expect(noRestaurant.response.body).toBe(unknown.response.body);
      expect(unknown.argon2).toBe(1);
      expect(wrong.argon2).toBe(1);
      expect(noRestaurant.argon2).toBe(1);
      expect(counts.burn).toBe(2);
      expect(counts.verify).toBe(1);
    });

    it('answers a disabled account like any failure, even with the right password', async () => {
      const admin = await signIn(t, restaurant, 'admin');
      const user = await seedUser(t, restaurant, 'cashier');
      const disable = await t.app.inject({
        method: 'POST',
        url: `/api/v1/users/${user.id}/disable`,
        headers: admin.headers,
      });
      expect(disable.statusCode).toBe(200);

      const unknown = await attempt('nobody-here', WRONG_PASSWORD);
      const disabled = await measured({
        restaurant: restaurant.slug,
        username: user.username,
        password: user.password,
      });

      expect(disabled.response.body).toBe(unknown.body);
      expect(disabled.argon2).toBe(1);
      const [failure] = await auditEntries(t, { type: 'login_failure', actorId: user.id });
      expect(detailsOf(failure!)).toEqual({ reason: 'disabled' });
    });

    it('audits each failure with its reason, never the password', async () => {
      const user = await seedUser(t, restaurant, 'cashier');

      await attempt(user.username, WRONG_PASSWORD);

      const [failure] = await auditEntries(t, { type: 'login_failure', actorId: user.id });
      expect(failure).toMatchObject({ outcome: 'failure', action: 'auth.login' });
      expect(detailsOf(failure!)).toEqual({ reason: 'bad_password' });
      expect(JSON.stringify(failure)).not.toContain(WRONG_PASSWORD);
    });
  });

  describe('lockout', () => {
    async function failTimes(username: string, times: number) {
      for (let i = 0; i < times; i += 1) {
        expect((await attempt(username, WRONG_PASSWORD)).statusCode).toBe(401);
      }
    }

    it('still counts the 9th failure without locking, and a success resets the count', async () => {
      const user = await seedUser(t, restaurant, 'cashier');

      await failTimes(user.username, 9);
      expect(await userRow(t, user.id)).toMatchObject({ status: 'active', failed_login_count: 9 });

      expect((await attempt(user.username, user.password)).statusCode).toBe(200);
      expect(await userRow(t, user.id)).toMatchObject({ status: 'active', failed_login_count: 0 });
      await failTimes(user.username, 9);
      expect((await userRow(t, user.id)).status).toBe('active');
    });

    it('locks at the 10th failure for 30 minutes, ends the sessions and audits the lockout', async () => {
      const user = await signIn(t, restaurant, 'cashier');
      const wrongBody = (await attempt(user.username, WRONG_PASSWORD)).body;
      await failTimes(user.username, 8);
      expect((await userRow(t, user.id)).status).toBe('active');

      const tenth = await attempt(user.username, WRONG_PASSWORD);

      expect(tenth.body).toBe(wrongBody);
      const row = await userRow(t, user.id);
      expect(row).toMatchObject({ status: 'locked', failed_login_count: 10 });
      expect(row.locked_until).toBe(new Date(t.clock.now().getTime() + LOCK_MS).toISOString());
      expect((await getMe(t, user.accessToken)).statusCode).toBe(401);
      const lockouts = await auditEntries(t, { type: 'account_lockout', resourceId: user.id });
      expect(lockouts).toHaveLength(1);
      expect(detailsOf(lockouts[0]!)).toEqual({ failures: 10, lockedMinutes: 30 });
    });

    it('refuses the right password while locked, with the same body as a wrong one', async () => {
      const user = await seedUser(t, restaurant, 'cashier');
      await failTimes(user.username, 10);
      const wrong = await attempt(user.username, WRONG_PASSWORD);

      const right = await attempt(user.username, user.password);

      expect(right.statusCode).toBe(401);
      expect(right.body).toBe(wrong.body);
      const failures = await auditEntries(t, { type: 'login_failure', actorId: user.id });
      expect(detailsOf(failures.at(-1)!)).toEqual({ reason: 'locked' });
    });

    it('opens again after 30 minutes, and the next ten failures lock it again', async () => {
      const user = await seedUser(t, restaurant, 'cashier');
      await failTimes(user.username, 10);

      t.clock.advance(LOCK_MS - 1000);
      expect((await attempt(user.username, user.password)).statusCode).toBe(401);
      t.clock.advance(2000);
      await failTimes(user.username, 9);
      expect((await userRow(t, user.id)).status).toBe('active');
      await failTimes(user.username, 1);

      expect((await userRow(t, user.id)).status).toBe('locked');
      expect((await attempt(user.username, user.password)).statusCode).toBe(401);
      t.clock.advance(LOCK_MS + 1000);
      expect((await attempt(user.username, user.password)).statusCode).toBe(200);
    });

    it('lets an admin unlock at once, with an audit entry', async () => {
      const admin = await signIn(t, restaurant, 'admin');
      const user = await seedUser(t, restaurant, 'cashier');
      await failTimes(user.username, 10);

      const unlock = await t.app.inject({
        method: 'POST',
        url: `/api/v1/users/${user.id}/unlock`,
        headers: admin.headers,
      });

      expect(unlock.statusCode).toBe(200);
      expect(unlock.json()).toMatchObject({ status: 'active' });
      expect(await userRow(t, user.id)).toMatchObject({
        status: 'active',
        failed_login_count: 0,
        locked_until: null,
      });
      expect((await attempt(user.username, user.password)).statusCode).toBe(200);
      const [entry] = await auditEntries(t, { action: 'user.unlock', resourceId: user.id });
      expect(entry).toMatchObject({ actor_id: admin.id });
      expect(detailsOf(entry!)).toEqual({ previousStatus: 'locked' });
    });

    it('counts a wrong second-factor code like a wrong password', async () => {
      const admin = await signIn(t, restaurant, 'admin');

      const response = await postLogin(t, {
        restaurant: restaurant.slug,
        username: admin.username,
        password: admin.password,
        totp: '000000',
      });

      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('POS_ERR_MFA_REQUIRED');
      expect((await userRow(t, admin.id)).failed_login_count).toBe(1);
    });
  });

  it('keeps the password out of the user views and of the bodies it answers', async () => {
    const user = await signIn(t, restaurant, 'cashier', { password: `${STAFF_PASSWORD}-x` });

    const me = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: bearer(user.accessToken),
    });

    expect(me.body).not.toContain(user.password);
    expect(me.body).not.toContain('argon2');
    expect(Object.keys(me.json())).not.toContain('passwordHash');
  });
});
