import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries } from '../../../test/helpers/audit.js';
import type { Restaurant } from '../restaurants/repository.js';
import { IDENTITY_TEST_ENV, bearer, getMe, postLogin, postRefresh } from './auth.test-helpers.js';
import { REFRESH_COOKIE } from './routes.js';

const FRONT_END = 'https://pos.example.com';
const HOUR_MS = 3_600_000;

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

describe.each(testDialects())('sessions (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;

  beforeAll(async () => {
    t = await buildTestApp({
      dialect,
      env: { ...IDENTITY_TEST_ENV, CHEFIA_CORS_ORIGINS: FRONT_END },
    });
    restaurant = await seedRestaurant(t);
  });
  afterAll(() => t.close());

  /** Another sign-in (a second device) of a user who has no second factor. */
  async function secondSession(user: SignedInUser): Promise<Tokens> {
    const response = await postLogin(t, {
      restaurant: restaurant.slug,
      username: user.username,
      password: user.password,
    });
    expect(response.statusCode).toBe(200);
    return response.json<Tokens>();
  }

  async function refreshed(refreshToken: string): Promise<Tokens> {
    const response = await postRefresh(t, refreshToken);
    expect(response.statusCode).toBe(200);
    return response.json<Tokens>();
  }

  async function sessionIdOf(accessToken: string): Promise<string> {
    const list = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/sessions',
      headers: bearer(accessToken),
    });
    const current = list.json<{ items: { id: string; current: boolean }[] }>().items;
    const id = current.find((session) => session.current)?.id;
    if (!id) throw new Error('no current session');
    return id;
  }

  describe('refresh', () => {
    it('exchanges a refresh token for new tokens; each refresh token works once', async () => {
      const user = await signIn(t, restaurant, 'cashier');

      const next = await refreshed(user.refreshToken);

      expect(next.refreshToken).not.toBe(user.refreshToken);
      expect(next.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await getMe(t, next.accessToken)).statusCode).toBe(200);
      const stored = await t.context.database.kysely
        .selectFrom('refresh_tokens')
        .select('token_hash')
        .execute();
      expect(stored.map((row) => row.token_hash)).not.toContain(next.refreshToken);
    });

    it('revokes the whole family when a rotated token is used again, and audits token reuse', async () => {
      const user = await signIn(t, restaurant, 'cashier');
      const other = await secondSession(user);
      const stolenCopy = user.refreshToken;
      const first = await refreshed(user.refreshToken);
      const newest = await refreshed(first.refreshToken);

      const replay = await postRefresh(t, stolenCopy);

      expect(replay.statusCode).toBe(401);
      expect(replay.json().code).toBe('POS_ERR_UNAUTHENTICATED');
      expect((await postRefresh(t, newest.refreshToken)).statusCode).toBe(401);
      expect((await getMe(t, newest.accessToken)).statusCode).toBe(401);
      expect((await getMe(t, first.accessToken)).statusCode).toBe(401);
      expect((await getMe(t, user.accessToken)).statusCode).toBe(401);
      expect((await getMe(t, other.accessToken)).statusCode).toBe(200);
      const [reuse] = await auditEntries(t, { type: 'token_reuse', actorId: user.id });
      expect(reuse).toMatchObject({ outcome: 'denied', resource_type: 'session' });
      expect(reuse!.risk_score).toBeGreaterThanOrEqual(9);
    });

    it('lets at most one of several concurrent refreshes of one token succeed', async () => {
      const user = await signIn(t, restaurant, 'cashier');

      const responses = await Promise.all(
        Array.from({ length: 6 }, () => postRefresh(t, user.refreshToken)),
      );

      const succeeded = responses.filter((response) => response.statusCode === 200);
      expect(succeeded.length).toBeLessThanOrEqual(1);
      expect(responses.every((r) => r.statusCode === 200 || r.statusCode === 401)).toBe(true);
      const issued = await t.context.database.kysely
        .selectFrom('refresh_tokens')
        .innerJoin('auth_sessions', 'auth_sessions.id', 'refresh_tokens.session_id')
        .select('refresh_tokens.id')
        .where('auth_sessions.user_id', '=', user.id)
        .execute();
      expect(issued.length).toBeLessThanOrEqual(2);
    });

    it('ends a sign-in 7 days after it began, however often it was refreshed', async () => {
      const user = await signIn(t, restaurant, 'cashier');
      t.clock.advance(80 * HOUR_MS);
      const midway = await refreshed(user.refreshToken);
      t.clock.advance(80 * HOUR_MS);
      const late = await refreshed(midway.refreshToken);

      t.clock.advance(8 * HOUR_MS + 1000);

      expect((await postRefresh(t, late.refreshToken)).statusCode).toBe(401);
    });

    it('refuses unknown refresh tokens and tokens of any other shape', async () => {
      for (const token of [randomUUID() + randomUUID(), 'x'.repeat(43), 'a.b.c'.repeat(5)]) {
        const response = await postRefresh(t, token);

        expect(response.statusCode).toBe(401);
        expect(response.json().code).toBe('POS_ERR_UNAUTHENTICATED');
      }
    });
  });

  describe('logout', () => {
    it('ends the access token and the refresh family at once, and is audited', async () => {
      const user = await signIn(t, restaurant, 'cashier');
      const other = await secondSession(user);

      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/logout',
        headers: user.headers,
      });

      expect(response.statusCode).toBe(204);
      expect((await getMe(t, user.accessToken)).statusCode).toBe(401);
      expect((await postRefresh(t, user.refreshToken)).statusCode).toBe(401);
      expect((await getMe(t, other.accessToken)).statusCode).toBe(200);
      const [entry] = await auditEntries(t, { type: 'logout', actorId: user.id });
      expect(entry?.outcome).toBe('success');
    });
  });

  describe('session list', () => {
    it("lists the caller's open sessions, marking the current one", async () => {
      const user = await signIn(t, restaurant, 'cashier');
      const other = await secondSession(user);
      const stranger = await signIn(t, restaurant, 'cashier');

      const list = await t.app.inject({
        method: 'GET',
        url: '/api/v1/auth/sessions',
        headers: user.headers,
      });

      expect(list.statusCode).toBe(200);
      const items = list.json<{ items: { id: string; current: boolean }[] }>().items;
      expect(items).toHaveLength(2);
      expect(items.filter((session) => session.current)).toHaveLength(1);
      const ids = items.map((session) => session.id);
      expect(ids).toContain(await sessionIdOf(other.accessToken));
      expect(ids).not.toContain(await sessionIdOf(stranger.accessToken));
    });

    it('revokes one of the caller’s sessions: its tokens stop working, the others go on', async () => {
      const user = await signIn(t, restaurant, 'cashier');
      const other = await secondSession(user);
      const otherId = await sessionIdOf(other.accessToken);

      const response = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/auth/sessions/${otherId}`,
        headers: user.headers,
      });

      expect(response.statusCode).toBe(204);
      expect((await getMe(t, other.accessToken)).statusCode).toBe(401);
      expect((await postRefresh(t, other.refreshToken)).statusCode).toBe(401);
      expect((await getMe(t, user.accessToken)).statusCode).toBe(200);
      const entries = await auditEntries(t, { type: 'logout', actorId: user.id });
      expect(entries.map((entry) => [entry.action, entry.resource_id])).toEqual([
        ['auth.session_revoke', otherId],
      ]);
    });

    it("answers 404 for another user's session and leaves it alone", async () => {
      const user = await signIn(t, restaurant, 'cashier');
      const victim = await signIn(t, restaurant, 'cashier');
      const victimSession = await sessionIdOf(victim.accessToken);

      for (const id of [victimSession, randomUUID()]) {
        const response = await t.app.inject({
          method: 'DELETE',
          url: `/api/v1/auth/sessions/${id}`,
          headers: user.headers,
        });

        expect(response.statusCode).toBe(404);
        expect(response.json().code).toBe('POS_ERR_NOT_FOUND');
      }
      expect((await getMe(t, victim.accessToken)).statusCode).toBe(200);
      expect((await postRefresh(t, victim.refreshToken)).statusCode).toBe(200);
    });

    it("shows an admin a user's sessions, and 404 for another restaurant's user", async () => {
      const admin = await signIn(t, restaurant, 'admin');
      const user = await signIn(t, restaurant, 'cashier');
      await secondSession(user);
      const elsewhere = await seedRestaurant(t);
      const foreign = await signIn(t, elsewhere, 'cashier');

      const sessions = await t.app.inject({
        method: 'GET',
        url: `/api/v1/users/${user.id}/sessions`,
        headers: admin.headers,
      });
      const crossTenant = await t.app.inject({
        method: 'GET',
        url: `/api/v1/users/${foreign.id}/sessions`,
        headers: admin.headers,
      });

      expect(sessions.statusCode).toBe(200);
      expect(sessions.json().items).toHaveLength(2);
      expect(sessions.json().items.every((s: { current: boolean }) => !s.current)).toBe(true);
      expect(crossTenant.statusCode).toBe(404);
      expect(crossTenant.json().code).toBe('POS_ERR_NOT_FOUND');
    });
  });

  describe('password change', () => {
    it('ends every other session; the current one goes on with the new token', async () => {
      const user = await signIn(t, restaurant, 'cashier');
      const other = await secondSession(user);

      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: user.headers,
        payload: { currentPassword: user.password, newPassword: 'Outra-Senha-Forte-7731' },
      });

      expect(response.statusCode).toBe(200);
      const { accessToken } = response.json<{ accessToken: string }>();
      expect((await getMe(t, accessToken)).statusCode).toBe(200);
      expect((await getMe(t, user.accessToken)).statusCode).toBe(401);
      expect((await getMe(t, other.accessToken)).statusCode).toBe(401);
      expect((await postRefresh(t, other.refreshToken)).statusCode).toBe(401);
      expect((await postRefresh(t, user.refreshToken)).statusCode).toBe(200);
      const [entry] = await auditEntries(t, { type: 'password_change', actorId: user.id });
      expect(entry?.outcome).toBe('success');
    });

    it('refuses a wrong current password, changes nothing and audits the attempt', async () => {
      const user = await signIn(t, restaurant, 'cashier');
      const other = await secondSession(user);

      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: user.headers,
        payload: { currentPassword: 'Nao-E-Essa-Senha-123', newPassword: 'Outra-Senha-Forte-7731' },
      });

      expect(response.statusCode).toBe(401);
      expect((await getMe(t, user.accessToken)).statusCode).toBe(200);
      expect((await getMe(t, other.accessToken)).statusCode).toBe(200);
      const login = await postLogin(t, {
        restaurant: restaurant.slug,
        username: user.username,
        password: user.password,
      });
      expect(login.statusCode).toBe(200);
      const [entry] = await auditEntries(t, { type: 'password_change', actorId: user.id });
      expect(entry?.outcome).toBe('failure');
    });
  });

  it('ends every session of a user an admin disables, at once', async () => {
    const admin = await signIn(t, restaurant, 'admin');
    const user = await signIn(t, restaurant, 'cashier');
    const other = await secondSession(user);

    const response = await t.app.inject({
      method: 'POST',
      url: `/api/v1/users/${user.id}/disable`,
      headers: admin.headers,
    });

    expect(response.statusCode).toBe(200);
    for (const token of [user.accessToken, other.accessToken]) {
      expect((await getMe(t, token)).statusCode).toBe(401);
    }
    for (const token of [user.refreshToken, other.refreshToken]) {
      expect((await postRefresh(t, token)).statusCode).toBe(401);
    }
  });

  describe('web cookie mode', () => {
    async function cookieLogin() {
      const user = await signIn(t, restaurant, 'cashier');
      const response = await postLogin(t, {
        restaurant: restaurant.slug,
        username: user.username,
        password: user.password,
        refreshTokenInCookie: true,
      });
      expect(response.statusCode).toBe(200);
      const cookie = response.cookies.find((c) => c.name === REFRESH_COOKIE);
      if (!cookie) throw new Error('no refresh cookie');
      return { response, cookie: cookie.value };
    }

    // As a browser sends it: the cookie, the page's Origin and no body at all.
    const refreshWithCookie = (cookie: string, origin?: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        cookies: { [REFRESH_COOKIE]: cookie },
        headers: origin ? { origin } : {},
      });

    it('keeps the refresh token only in a __Host- cookie: HttpOnly, Secure, SameSite=Strict, Path=/', async () => {
      const { response, cookie } = await cookieLogin();

      expect(response.json()).not.toHaveProperty('refreshToken');
      expect(response.body).not.toContain(cookie);
      const header = String(response.headers['set-cookie']);
      expect(header.startsWith(`${REFRESH_COOKIE}=`)).toBe(true);
      expect(header.split(';')[0]!.slice(REFRESH_COOKIE.length + 1)).toMatch(/^[\w-]{43}$/);
      expect(header).toMatch(/; Path=\/(;|$)/);
      expect(header).toMatch(/; HttpOnly(;|$)/);
      expect(header).toMatch(/; Secure(;|$)/);
      expect(header).toMatch(/; SameSite=Strict(;|$)/);
      expect(header).not.toMatch(/Domain=/i);
    });

    it('refreshes through the cookie for an allowed Origin and rotates it', async () => {
      const { cookie } = await cookieLogin();

      const response = await refreshWithCookie(cookie, FRONT_END);

      expect(response.statusCode).toBe(200);
      expect(response.json()).not.toHaveProperty('refreshToken');
      const next = response.cookies.find((c) => c.name === REFRESH_COOKIE);
      expect(next?.value).toBeDefined();
      expect(next?.value).not.toBe(cookie);
      expect((await getMe(t, response.json<Tokens>().accessToken)).statusCode).toBe(200);
    });

    it('answers a forged or missing Origin with 403 and leaves the token unspent', async () => {
      const { cookie } = await cookieLogin();

      const forged = await refreshWithCookie(cookie, 'https://evil.example.net');
      const lookalike = await refreshWithCookie(cookie, `${FRONT_END}.evil.example.net`);
      const missing = await refreshWithCookie(cookie);

      for (const response of [forged, lookalike, missing]) {
        expect(response.statusCode).toBe(403);
        expect(response.json().code).toBe('POS_ERR_FORBIDDEN');
        expect(response.headers['set-cookie']).toBeUndefined();
      }
      expect((await refreshWithCookie(cookie, FRONT_END)).statusCode).toBe(200);
      expect(await auditEntries(t, { type: 'token_reuse' })).not.toContainEqual(
        expect.objectContaining({ request_id: forged.headers['x-request-id'] }),
      );
    });

    it('clears the cookie at logout', async () => {
      const { response } = await cookieLogin();

      const logout = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/logout',
        headers: bearer(response.json<Tokens>().accessToken),
      });

      expect(logout.statusCode).toBe(204);
      const header = String(logout.headers['set-cookie']);
      expect(header.startsWith(`${REFRESH_COOKIE}=;`)).toBe(true);
      expect(header).toMatch(/Expires=Thu, 01 Jan 1970/);
    });
  });
});
