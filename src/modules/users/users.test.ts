import { randomUUID } from 'node:crypto';

import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import {
  STAFF_PASSWORD,
  nextTotp,
  seedRestaurant,
  seedUser,
  signIn,
  type SignedInUser,
} from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import { ROLES, ROLE_PERMISSIONS } from '../../security/authz/permissions.js';
import type { Principal } from '../../security/authz/principal.js';
import { PASSWORD_RULE_MESSAGES } from '../../security/passwords/index.js';
import {
  IDENTITY_TEST_ENV,
  bearer,
  getMe,
  postLogin,
  userRow,
  withClaims,
} from '../auth/auth.test-helpers.js';
import type { Restaurant } from '../restaurants/repository.js';
import { disableUser, updateUser } from './service.js';

const TEMPORARY = 'Provisoria-Segura-4471';

function adminPrincipal(restaurant: Restaurant, id: string): Principal {
  return {
    kind: 'user',
    id,
    restaurantId: restaurant.id,
    role: 'admin',
    permissions: new Set(ROLE_PERMISSIONS.admin),
    customerId: null,
    tokenId: null,
    sessionId: null,
  };
}

describe.each(testDialects())('users (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  let admin: SignedInUser;

  beforeAll(async () => {
    t = await buildTestApp({ dialect, env: { ...IDENTITY_TEST_ENV } });
    restaurant = await seedRestaurant(t);
    admin = await signIn(t, restaurant, 'admin');
  });
  afterAll(() => t.close());

  function call(
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    caller: { headers: { authorization: string } },
    payload?: object,
  ): Promise<LightMyRequestResponse> {
    return t.app.inject({
      method,
      url,
      headers: caller.headers,
      ...(payload ? { payload } : {}),
    });
  }

  const create = (caller: SignedInUser, payload: object) =>
    call('POST', '/api/v1/users', caller, payload);

  async function createdUser(role = 'cashier') {
    const username = `user${randomUUID().slice(0, 8)}`;
    const response = await create(admin, {
      username,
      displayName: 'Nova Pessoa',
      role,
      temporaryPassword: TEMPORARY,
    });
    expect(response.statusCode).toBe(201);
    return { ...response.json<{ id: string; username: string }>(), password: TEMPORARY };
  }

  describe('who may manage users', () => {
    it.each(ROLES)('%s: only user.manage (admin) gets past authorization', async (role) => {
      const caller = role === 'admin' ? admin : await signIn(t, restaurant, role);
      const target = await seedUser(t, restaurant, 'waiter');
      const routes: [method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object][] = [
        ['GET', '/api/v1/users'],
        ['GET', `/api/v1/users/${target.id}`],
        ['GET', `/api/v1/users/${target.id}/sessions`],
        ['PATCH', `/api/v1/users/${target.id}`, { displayName: 'Outro Nome' }],
        ['POST', `/api/v1/users/${target.id}/unlock`],
      ];

      for (const [method, url, payload] of routes) {
        const response = await call(method, url, caller, payload);

        if (role === 'admin') {
          expect(response.statusCode, `${method} ${url}`).toBe(200);
        } else {
          expect(response.statusCode, `${method} ${url}`).toBe(403);
          expect(response.json().code).toBe('POS_ERR_FORBIDDEN');
        }
      }
      if (role !== 'admin') {
        expect((await userRow(t, target.id)).display_name).toBe('Test waiter');
        const denials = await auditEntries(t, { type: 'permission_denied', actorId: caller.id });
        expect(denials).toHaveLength(routes.length);
      }
    });
  });

  describe('create', () => {
    it('adds a user with a temporary password and audits it, without showing any secret', async () => {
      const response = await create(admin, {
        username: 'Maria.Caixa',
        displayName: ' Maria ',
        role: 'cashier',
        temporaryPassword: TEMPORARY,
      });

      expect(response.statusCode).toBe(201);
      const body = response.json();
      expect(body).toMatchObject({
        username: 'maria.caixa',
        displayName: 'Maria',
        role: 'cashier',
        status: 'active',
        mustChangePassword: true,
        mfaEnabled: false,
      });
      expect(Object.keys(body).sort()).toEqual(
        [
          'createdAt',
          'displayName',
          'id',
          'mfaEnabled',
          'mustChangePassword',
          'role',
          'status',
          'updatedAt',
          'username',
        ].sort(),
      );
      expect((await userRow(t, body.id)).password_hash).toMatch(/^\$argon2id\$/);
      const [entry] = await auditEntries(t, { action: 'user.create', resourceId: body.id });
      expect(entry).toMatchObject({ event_type: 'object_created', actor_id: admin.id });
      expect(detailsOf(entry!)).toEqual({ role: 'cashier' });
      expect(entry!.details).not.toContain(TEMPORARY);
    });

    it('refuses a taken username with 409', async () => {
      const first = await createdUser();

      const again = await create(admin, {
        username: first.username.toUpperCase(),
        displayName: 'Outra',
        role: 'waiter',
        temporaryPassword: TEMPORARY,
      });

      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('POS_ERR_CONFLICT');
    });

    it('reports every password rule broken at once, never echoing the password', async () => {
      const response = await create(admin, {
        username: 'fraquinho',
        displayName: 'Fraco',
        role: 'waiter',
        temporaryPassword: 'casa',
      });

      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('POS_ERR_PASSWORD_POLICY');
      const messages = response.json<{ fields: { path: string; message: string }[] }>().fields;
      expect(messages.map((field) => field.message)).toEqual(
        expect.arrayContaining([
          PASSWORD_RULE_MESSAGES.too_short,
          PASSWORD_RULE_MESSAGES.needs_digit,
          PASSWORD_RULE_MESSAGES.contains_context,
          PASSWORD_RULE_MESSAGES.too_weak,
        ]),
      );
      expect(messages.every((field) => field.path === 'password')).toBe(true);
      expect(response.body).not.toMatch(/"casa"/);
      const rows = await t.context.database.kysely
        .selectFrom('users')
        .select('id')
        .where('username', '=', 'fraquinho')
        .execute();
      expect(rows).toHaveLength(0);
    });

    it('refuses common passwords and passwords built from the user or restaurant name', async () => {
      const common = await create(admin, {
        username: 'comum',
        displayName: 'Comum',
        role: 'waiter',
        temporaryPassword: 'Senha@12345678',
      });
      const contextual = await create(admin, {
        username: 'joaquim',
        displayName: 'Joaquim Barbosa',
        role: 'waiter',
        temporaryPassword: 'Joaquim-Quintal-2048!',
      });

      expect(common.json().fields.map((f: { message: string }) => f.message)).toContain(
        PASSWORD_RULE_MESSAGES.common,
      );
      expect(contextual.json().fields.map((f: { message: string }) => f.message)).toContain(
        PASSWORD_RULE_MESSAGES.contains_context,
      );
    });
  });

  describe('security: mass assignment', () => {
    it.each([
      ['restaurantId', randomUUID()],
      ['status', 'active'],
      ['passwordHash', '$argon2id$v=19$m=19456,t=2,p=1$abc$def'],
      ['mustChangePassword', false],
      ['mfaEnabled', true],
      ['id', randomUUID()],
    ])(
      'refuses %s in a new user with 400 naming the field, creating nothing',
      async (field, value) => {
        const username = `mass${randomUUID().slice(0, 8)}`;

        const response = await create(admin, {
          username,
          displayName: 'Massa',
          role: 'waiter',
          temporaryPassword: TEMPORARY,
          [field]: value,
        });

        expect(response.statusCode).toBe(400);
        expect(response.json().code).toBe('POS_ERR_VALIDATION');
        expect(response.json().fields).toContainEqual(
          expect.objectContaining({ path: `body/${field}` }),
        );
        const rows = await t.context.database.kysely
          .selectFrom('users')
          .select('id')
          .where('username', '=', username)
          .execute();
        expect(rows).toHaveLength(0);
      },
    );

    it.each([
      ['restaurantId', randomUUID()],
      ['status', 'disabled'],
      ['passwordHash', 'x'],
      ['mustChangePassword', false],
      ['username', 'outro'],
      ['failedLoginCount', 0],
    ])(
      'refuses %s in an update with 400 naming the field, changing nothing',
      async (field, value) => {
        const user = await createdUser();
        const before = await userRow(t, user.id);

        const response = await call('PATCH', `/api/v1/users/${user.id}`, admin, {
          displayName: 'Mudado',
          [field]: value,
        });

        expect(response.statusCode).toBe(400);
        expect(response.json().fields).toContainEqual(
          expect.objectContaining({ path: `body/${field}` }),
        );
        expect(await userRow(t, user.id)).toEqual(before);
      },
    );

    it('changes the role only as the explicit field, ending the user’s sessions', async () => {
      const user = await signIn(t, restaurant, 'waiter');

      const response = await call('PATCH', `/api/v1/users/${user.id}`, admin, {
        role: 'cashier',
      });

      expect(response.statusCode).toBe(200);
      expect(response.json().role).toBe('cashier');
      expect((await userRow(t, user.id)).role).toBe('cashier');
      expect((await getMe(t, user.accessToken)).statusCode).toBe(401);
      const [entry] = await auditEntries(t, { action: 'user.role_change', resourceId: user.id });
      expect(detailsOf(entry!)).toEqual({ fromRole: 'waiter', toRole: 'cashier' });
    });

    it('refuses a role that does not exist', async () => {
      const user = await createdUser();

      const response = await call('PATCH', `/api/v1/users/${user.id}`, admin, { role: 'root' });

      expect(response.statusCode).toBe(400);
      expect((await userRow(t, user.id)).role).toBe('cashier');
    });
  });

  describe('the last admin', () => {
    it('cannot be disabled or demoted; once another admin exists, one of them can', async () => {
      const own = await seedRestaurant(t);
      const only = await signIn(t, own, 'admin');

      const disable = await call('POST', `/api/v1/users/${only.id}/disable`, only);
      const demote = await call('PATCH', `/api/v1/users/${only.id}`, only, { role: 'manager' });

      for (const response of [disable, demote]) {
        expect(response.statusCode).toBe(409);
        expect(response.json().code).toBe('POS_ERR_LAST_ADMIN');
      }
      expect(await userRow(t, only.id)).toMatchObject({ status: 'active', role: 'admin' });

      const second = await seedUser(t, own, 'admin');
      expect((await call('POST', `/api/v1/users/${second.id}/disable`, only)).statusCode).toBe(200);
      expect((await call('POST', `/api/v1/users/${only.id}/disable`, only)).statusCode).toBe(409);
    });

    it('survives two concurrent removals of the last two admins', async () => {
      const own = await seedRestaurant(t);
      const first = await seedUser(t, own, 'admin');
      const second = await seedUser(t, own, 'admin');
      const source = { ip: '192.0.2.1', requestId: 'race' };

      // Straight to the services, so both removals are in flight at once.
      const outcomes = await Promise.allSettled([
        disableUser(t.context, adminPrincipal(own, first.id), second.id, source),
        updateUser(
          t.context,
          adminPrincipal(own, second.id),
          first.id,
          { role: 'manager' },
          source,
        ),
      ]);

      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const [failure] = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect((failure as PromiseRejectedResult).reason).toMatchObject({
        code: 'POS_ERR_LAST_ADMIN',
      });
      const admins = await t.context.database.kysely
        .selectFrom('users')
        .select('id')
        .where('restaurant_id', '=', own.id)
        .where('role', '=', 'admin')
        .where('status', '!=', 'disabled')
        .execute();
      expect(admins).toHaveLength(1);
    });
  });

  describe('temporary passwords', () => {
    it('must be changed first: everything else answers 403 until POST /auth/password', async () => {
      const user = await createdUser();
      const login = await postLogin(t, {
        restaurant: restaurant.slug,
        username: user.username,
        password: user.password,
      });
      const { accessToken, passwordChangeRequired } = login.json<{
        accessToken: string;
        passwordChangeRequired: boolean;
      }>();
      expect(passwordChangeRequired).toBe(true);

      const blocked = await t.app.inject({
        method: 'GET',
        url: '/api/v1/auth/sessions',
        headers: bearer(accessToken),
      });
      expect(blocked.statusCode).toBe(403);
      expect(blocked.json().code).toBe('POS_ERR_PASSWORD_CHANGE_REQUIRED');
      expect((await getMe(t, accessToken)).statusCode).toBe(200);

      const change = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: bearer(accessToken),
        payload: { currentPassword: user.password, newPassword: STAFF_PASSWORD },
      });
      expect(change.statusCode).toBe(200);
      const fresh = change.json<{ accessToken: string }>().accessToken;
      const allowed = await t.app.inject({
        method: 'GET',
        url: '/api/v1/auth/sessions',
        headers: bearer(fresh),
      });
      expect(allowed.statusCode).toBe(200);
      expect((await userRow(t, user.id)).must_change_password).toBe(0);
    });

    it('lets a new admin enrol the second factor, then change the password, then work', async () => {
      const user = await createdUser('admin');
      const login = await postLogin(t, {
        restaurant: restaurant.slug,
        username: user.username,
        password: user.password,
      });
      const enrolment = bearer(login.json<{ accessToken: string }>().accessToken);

      const setup = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/mfa/setup',
        headers: enrolment,
      });
      expect(setup.statusCode).toBe(200);
      const verify = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/mfa/verify',
        headers: enrolment,
        payload: { code: nextTotp(t, setup.json<{ secret: string }>().secret) },
      });
      expect(verify.statusCode).toBe(200);
      const restricted = bearer(verify.json<{ accessToken: string }>().accessToken);
      const blocked = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users',
        headers: restricted,
      });
      expect(blocked.json().code).toBe('POS_ERR_PASSWORD_CHANGE_REQUIRED');

      const change = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: restricted,
        payload: { currentPassword: user.password, newPassword: STAFF_PASSWORD },
      });

      expect(change.statusCode).toBe(200);
      const list = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users',
        headers: bearer(change.json<{ accessToken: string }>().accessToken),
      });
      expect(list.statusCode).toBe(200);
    });
  });

  it('refuses any of the last 4 passwords; the 5th-oldest may be used again', async () => {
    const passwords = [1, 2, 3, 4, 5].map((n) => `Historico-Senha-${n}-Forte`);
    const user = await signIn(t, restaurant, 'waiter', { password: passwords[0] });
    let token = user.accessToken;
    const change = (current: string, next: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: bearer(token),
        payload: { currentPassword: current, newPassword: next },
      });
    for (let i = 1; i < passwords.length; i += 1) {
      t.clock.advance(60_000);
      const response = await change(passwords[i - 1]!, passwords[i]!);
      expect(response.statusCode).toBe(200);
      token = response.json<{ accessToken: string }>().accessToken;
    }
    const current = passwords[4]!;

    for (const recent of passwords.slice(1)) {
      const refused = await change(current, recent);

      expect(refused.statusCode).toBe(400);
      expect(refused.json().code).toBe('POS_ERR_PASSWORD_POLICY');
      expect(refused.json().fields).toContainEqual({
        path: 'password',
        message: 'must differ from the last 4 passwords',
      });
    }
    expect((await change(current, passwords[0]!)).statusCode).toBe(200);
  });

  describe('disable, unlock and reset', () => {
    it('disables a user: sign-in fails and the change is audited', async () => {
      const user = await signIn(t, restaurant, 'cashier');

      const response = await call('POST', `/api/v1/users/${user.id}/disable`, admin);

      expect(response.statusCode).toBe(200);
      expect(response.json().status).toBe('disabled');
      const login = await postLogin(t, {
        restaurant: restaurant.slug,
        username: user.username,
        password: user.password,
      });
      expect(login.statusCode).toBe(401);
      const [entry] = await auditEntries(t, { action: 'user.disable', resourceId: user.id });
      expect(detailsOf(entry!)).toEqual({ sessionsRevoked: 1 });
    });

    it('resets a password to a temporary one, ending the sessions', async () => {
      const user = await signIn(t, restaurant, 'cashier');

      const response = await call('POST', `/api/v1/users/${user.id}/reset-password`, admin, {
        temporaryPassword: 'Temporaria-Nova-9182',
      });

      expect(response.statusCode).toBe(200);
      expect(response.json().mustChangePassword).toBe(true);
      expect((await getMe(t, user.accessToken)).statusCode).toBe(401);
      const login = await postLogin(t, {
        restaurant: restaurant.slug,
        username: user.username,
        password: 'Temporaria-Nova-9182',
      });
      expect(login.json().passwordChangeRequired).toBe(true);
      const [entry] = await auditEntries(t, { action: 'user.reset_password', resourceId: user.id });
      expect(entry?.event_type).toBe('password_change');
    });

    it('refuses a reset to a weak temporary password, changing nothing', async () => {
      const user = await seedUser(t, restaurant, 'cashier');
      const before = await userRow(t, user.id);

      const response = await call('POST', `/api/v1/users/${user.id}/reset-password`, admin, {
        temporaryPassword: '12345678',
      });

      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('POS_ERR_PASSWORD_POLICY');
      expect(await userRow(t, user.id)).toEqual(before);
    });
  });

  it('lists the restaurant’s users a page at a time, filtered by role', async () => {
    const own = await seedRestaurant(t);
    const ownAdmin = await signIn(t, own, 'admin');
    for (let i = 0; i < 3; i += 1) await seedUser(t, own, 'waiter');
    await seedUser(t, restaurant, 'waiter');

    const first = await call('GET', '/api/v1/users?limit=2', ownAdmin);
    const second = await call(
      'GET',
      `/api/v1/users?limit=2&cursor=${encodeURIComponent(first.json().nextCursor)}`,
      ownAdmin,
    );
    const waiters = await call('GET', '/api/v1/users?role=waiter', ownAdmin);
    const tooMany = await call('GET', '/api/v1/users?limit=101', ownAdmin);

    expect(first.json().items).toHaveLength(2);
    expect(second.json().items).toHaveLength(2);
    expect(second.json().nextCursor).toBeNull();
    const ids = [...first.json().items, ...second.json().items].map((u: { id: string }) => u.id);
    expect(new Set(ids).size).toBe(4);
    expect(ids).toContain(ownAdmin.id);
    expect(waiters.json().items).toHaveLength(3);
    expect(tooMany.statusCode).toBe(400);
  });

  describe('security: another restaurant', () => {
    it("answers 404 for every action on another restaurant's user and changes nothing", async () => {
      const elsewhere = await seedRestaurant(t);
      const victim = await signIn(t, elsewhere, 'cashier');
      const before = await userRow(t, victim.id);
      const attempts: [method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object][] = [
        ['GET', `/api/v1/users/${victim.id}`],
        ['GET', `/api/v1/users/${victim.id}/sessions`],
        ['PATCH', `/api/v1/users/${victim.id}`, { displayName: 'Invadido', role: 'admin' }],
        ['POST', `/api/v1/users/${victim.id}/disable`],
        ['POST', `/api/v1/users/${victim.id}/unlock`],
        ['POST', `/api/v1/users/${victim.id}/reset-password`, { temporaryPassword: TEMPORARY }],
      ];

      for (const [method, url, payload] of attempts) {
        const response = await call(method, url, admin, payload);

        expect(response.statusCode, `${method} ${url}`).toBe(404);
        expect(response.json().code).toBe('POS_ERR_NOT_FOUND');
      }
      expect(await userRow(t, victim.id)).toEqual(before);
      expect((await getMe(t, victim.accessToken)).statusCode).toBe(200);
      const list = await call('GET', '/api/v1/users?limit=100', admin);
      expect(list.json().items.map((u: { id: string }) => u.id)).not.toContain(victim.id);
    });

    it('refuses a token whose restaurant claim was changed to another restaurant', async () => {
      const elsewhere = await seedRestaurant(t);
      const victim = await seedUser(t, elsewhere, 'cashier');

      const response = await t.app.inject({
        method: 'POST',
        url: `/api/v1/users/${victim.id}/disable`,
        headers: bearer(withClaims(admin.accessToken, { rid: elsewhere.id })),
      });

      expect(response.statusCode).toBe(401);
      expect((await userRow(t, victim.id)).status).toBe('active');
    });

    it('answers 404 for an id that does not exist', async () => {
      const response = await call('GET', `/api/v1/users/${randomUUID()}`, admin);

      expect(response.statusCode).toBe(404);
    });
  });
});
