import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AppError } from '../../core/errors.js';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import type { Role } from '../../security/authz/permissions.js';
import { principalOf, type Principal } from '../../security/authz/principal.js';
import type { Restaurant } from '../restaurants/repository.js';
import { createApiKey } from './service.js';

const URL = '/api/v1/api-keys';
const DAY_MS = 86_400_000;

describe.each(testDialects())('API keys (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  let admin: SignedInUser;
  let otherAdmin: SignedInUser;
  const staff = new Map<Role, SignedInUser>();

  beforeAll(async () => {
    t = await buildTestApp({
      dialect,
      env: { CHEFIA_RATE_LIMIT_REPORT: '5/60' },
      routes: (app) => {
        const whoami = async (request: Parameters<typeof principalOf>[0]) => {
          const principal = principalOf(request);
          return {
            kind: principal.kind,
            id: principal.id,
            restaurantId: principal.restaurantId,
            role: principal.role,
          };
        };
        app.get(
          '/api/v1/test/orders',
          { config: { access: { permission: 'order.read' } } },
          whoami,
        );
        app.get(
          '/api/v1/test/products',
          { config: { access: { permission: 'product.create' } } },
          whoami,
        );
      },
    });
    restaurant = await seedRestaurant(t);
    admin = await signIn(t, restaurant, 'admin');
    for (const role of ['manager', 'cashier', 'waiter', 'kitchen', 'customer'] as const) {
      staff.set(role, await signIn(t, restaurant, role));
    }
    otherAdmin = await signIn(t, await seedRestaurant(t), 'admin');
  });
  afterAll(() => t.close());

  const create = (user: SignedInUser, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: URL, headers: user.headers, payload });
  const withKey = (key: string, url = '/api/v1/test/orders', remoteAddress = '203.0.113.5') =>
    t.app.inject({ method: 'GET', url, remoteAddress, headers: { 'x-api-key': key } });
  const keyRows = () => t.context.database.kysely.selectFrom('api_keys').selectAll().execute();
  const newKey = async (payload: Record<string, unknown> = {}) => {
    const response = await create(admin, {
      name: 'Delivery app',
      scopes: ['order.read'],
      ...payload,
    });
    expect(response.statusCode).toBe(201);
    return response.json<{ id: string; key: string }>();
  };

  describe('creation', () => {
    it('shows an sk_ key with 256 random bits once and stores only its SHA-256', async () => {
      const response = await create(admin, {
        name: 'Delivery app',
        scopes: ['order.read', 'order.create'],
        rateClass: 'payment',
      });

      expect(response.statusCode).toBe(201);
      const created = response.json();
      expect(created.key).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(created.key.slice(3), 'base64url')).toHaveLength(32);
      expect(created).toMatchObject({
        name: 'Delivery app',
        keyPrefix: created.key.slice(0, 7),
        scopes: ['order.read', 'order.create'],
        rateClass: 'payment',
        active: true,
        createdBy: admin.id,
        expiresAt: new Date(t.clock.now().getTime() + 90 * DAY_MS).toISOString(),
        lastUsedAt: null,
        revokedAt: null,
      });

      const [row] = (await keyRows()).filter((r) => r.id === created.id);
      expect(row!.key_hash).toBe(createHash('sha256').update(created.key).digest('hex'));
      expect(JSON.stringify(row)).not.toContain(created.key.slice(7));

      const listed = await t.app.inject({ method: 'GET', url: URL, headers: admin.headers });
      expect(listed.body).not.toContain(created.key.slice(7));
      expect(listed.json().items.map((item: { id: string }) => item.id)).toContain(created.id);
      expect(listed.json().items[0]).not.toHaveProperty('key');

      const [audit] = await auditEntries(t, { action: 'apikey.create', resourceId: created.id });
      expect(audit).toMatchObject({ event_type: 'object_created', actor_id: admin.id });
      expect(audit!.details).not.toContain(created.key.slice(7));
    });

    it('refuses scopes beyond the creator’s permissions or able to mint keys', async () => {
      const before = await keyRows();
      for (const scopes of [
        ['apikey.manage'],
        ['order.read', 'apikey.manage'],
        ['not.a.permission'],
        [],
      ]) {
        const response = await create(admin, { name: 'x', scopes });
        expect(response.statusCode, JSON.stringify(scopes)).toBe(400);
        expect(response.json().code).toBe('POS_ERR_VALIDATION');
      }
      expect(await keyRows()).toEqual(before);
    });

    it('refuses a scope the creator does not hold, whatever else it holds', async () => {
      const creator: Principal = {
        kind: 'user',
        id: admin.id,
        restaurantId: restaurant.id,
        role: 'admin',
        permissions: new Set(['apikey.manage', 'order.read']),
        customerId: null,
        tokenId: null,
        sessionId: null,
      };
      const source = { ip: '203.0.113.9', requestId: 'test' };
      const before = await keyRows();

      const refused = createApiKey(
        t.context,
        t.app.apiKeyUsage,
        creator,
        {
          name: 'x',
          scopes: ['order.read', 'payment.refund'],
        },
        source,
      );
      await expect(refused).rejects.toBeInstanceOf(AppError);
      await expect(refused).rejects.toMatchObject({ code: 'POS_ERR_VALIDATION' });
      expect(await keyRows()).toEqual(before);

      const allowed = await createApiKey(
        t.context,
        t.app.apiKeyUsage,
        creator,
        {
          name: 'x',
          scopes: ['order.read'],
        },
        source,
      );
      expect(allowed.scopes).toEqual(['order.read']);
    });

    it('refuses an expiry in the past or more than a year ahead', async () => {
      const now = t.clock.now().getTime();
      for (const expiresAt of [
        new Date(now - 1000).toISOString(),
        new Date(now + 366 * DAY_MS).toISOString(),
        'tomorrow',
      ]) {
        const response = await create(admin, { name: 'x', scopes: ['order.read'], expiresAt });
        expect(response.statusCode, expiresAt).toBe(400);
        expect(response.json().code).toBe('POS_ERR_VALIDATION');
      }
    });

    it('rejects fields a client may not set (mass assignment)', async () => {
      const before = await keyRows();
      for (const extra of [
        { active: false },
        { restaurantId: otherAdmin.restaurantId },
        { keyHash: 'f'.repeat(64) },
        { key: `sk_${'A'.repeat(43)}` },
        { createdBy: otherAdmin.id },
        { lastUsedAt: '2026-01-01T00:00:00.000Z' },
      ]) {
        const response = await create(admin, { name: 'x', scopes: ['order.read'], ...extra });
        expect(response.statusCode, JSON.stringify(extra)).toBe(400);
        expect(response.json().code).toBe('POS_ERR_VALIDATION');
      }
      expect(await keyRows()).toEqual(before);
    });
  });

  describe('authentication', () => {
    it('makes the key a principal of its restaurant, holding its scopes and no role', async () => {
      const created = await newKey();

      const response = await withKey(created.key);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        kind: 'api_key',
        id: created.id,
        restaurantId: restaurant.id,
        role: null,
      });

      const outOfScope = await withKey(created.key, '/api/v1/test/products');
      expect(outOfScope.statusCode).toBe(403);
      expect(outOfScope.json().code).toBe('POS_ERR_FORBIDDEN');
      const users = await withKey(created.key, '/api/v1/users');
      expect(users.statusCode).toBe(403);
    });

    it('refuses unknown, malformed and doubled credentials with the generic 401, audited', async () => {
      const created = await newKey();
      const cases: Array<[Record<string, string>, string]> = [
        [{ 'x-api-key': `sk_${'B'.repeat(43)}` }, 'unknown'],
        [{ 'x-api-key': 'sk_short' }, 'malformed'],
        [
          { 'x-api-key': `${created.key.slice(0, -1)}${created.key.endsWith('A') ? 'B' : 'A'}` },
          'unknown',
        ],
        [{ 'x-api-key': created.key, authorization: admin.headers.authorization }, 'ambiguous'],
      ];

      for (const [headers, reason] of cases) {
        const response = await t.app.inject({
          method: 'GET',
          url: '/api/v1/test/orders',
          remoteAddress: '203.0.113.6',
          headers,
        });
        expect(response.statusCode, reason).toBe(401);
        expect(response.json()).toMatchObject({
          code: 'POS_ERR_UNAUTHENTICATED',
          message: 'Authentication failed.',
        });
        const [audit] = await auditEntries(t, {
          action: 'apikey.authenticate',
          requestId: String(response.headers['x-request-id']),
        });
        expect(audit).toMatchObject({ event_type: 'login_failure', outcome: 'failure' });
        expect(detailsOf(audit)).toEqual({ reason });
      }
    });

    it('refuses a key once it has expired', async () => {
      const expiresAt = new Date(t.clock.now().getTime() + 60_000).toISOString();
      const created = await newKey({ expiresAt });
      expect((await withKey(created.key)).statusCode).toBe(200);

      t.clock.advance(60_000);
      const response = await withKey(created.key);
      expect(response.statusCode).toBe(401);
      const [audit] = await auditEntries(t, {
        action: 'apikey.authenticate',
        requestId: String(response.headers['x-request-id']),
      });
      expect(audit).toMatchObject({ actor_type: 'api_key', actor_id: created.id });
      expect(audit!.restaurant_id).toBe(restaurant.id);
      expect(detailsOf(audit)).toEqual({ reason: 'expired' });
    });

    it('counts a key with its own rate class in that class on default routes', async () => {
      const created = await newKey({ rateClass: 'report' });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) statuses.push((await withKey(created.key)).statusCode);

      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const asUser = await t.app.inject({
        method: 'GET',
        url: '/api/v1/test/orders',
        headers: admin.headers,
      });
      expect(asUser.statusCode).toBe(200);
    });
  });

  describe('usage trail', () => {
    it('audits every use, and keeps last-used in memory until the batch is written', async () => {
      const created = await newKey();
      await t.app.apiKeyUsage.flush();

      for (let i = 0; i < 3; i += 1) expect((await withKey(created.key)).statusCode).toBe(200);
      expect((await withKey(created.key, '/api/v1/test/products')).statusCode).toBe(403);

      const [row] = (await keyRows()).filter((r) => r.id === created.id);
      expect(row!.last_used_at).toBeNull();
      const listed = await t.app.inject({ method: 'GET', url: URL, headers: admin.headers });
      const view = listed.json().items.find((item: { id: string }) => item.id === created.id);
      expect(view.lastUsedAt).toBe(t.clock.now().toISOString());

      await t.app.apiKeyUsage.flush();
      const [flushed] = (await keyRows()).filter((r) => r.id === created.id);
      expect(flushed!.last_used_at).toBe(t.clock.now().toISOString());

      const uses = await auditEntries(t, { action: 'apikey.use', actorId: created.id });
      expect(uses.map((e) => [e.event_type, e.outcome, e.resource_id, detailsOf(e)])).toEqual([
        ['data_access', 'success', 'GET /api/v1/test/orders', { statusCode: 200 }],
        ['data_access', 'success', 'GET /api/v1/test/orders', { statusCode: 200 }],
        ['data_access', 'success', 'GET /api/v1/test/orders', { statusCode: 200 }],
        ['data_access', 'denied', 'GET /api/v1/test/products', { statusCode: 403 }],
      ]);
      expect(
        uses.every((e) => e.restaurant_id === restaurant.id && e.actor_type === 'api_key'),
      ).toBe(true);
    });
  });

  describe('revocation', () => {
    it('refuses the key at once after DELETE, audits both, and is idempotent', async () => {
      const created = await newKey();
      expect((await withKey(created.key)).statusCode).toBe(200);

      const revoked = await t.app.inject({
        method: 'DELETE',
        url: `${URL}/${created.id}`,
        headers: admin.headers,
      });
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json()).toMatchObject({ id: created.id, active: false });
      expect(revoked.json().revokedAt).toBe(t.clock.now().toISOString());

      const refused = await withKey(created.key);
      expect(refused.statusCode).toBe(401);
      const [refusal] = await auditEntries(t, {
        action: 'apikey.authenticate',
        requestId: String(refused.headers['x-request-id']),
      });
      expect(detailsOf(refusal)).toEqual({ reason: 'revoked' });

      const again = await t.app.inject({
        method: 'DELETE',
        url: `${URL}/${created.id}`,
        headers: admin.headers,
      });
      expect(again.statusCode).toBe(200);
      const revocations = await auditEntries(t, {
        action: 'apikey.revoke',
        resourceId: created.id,
      });
      expect(revocations).toHaveLength(1);
      expect(revocations[0]).toMatchObject({ event_type: 'object_deleted', actor_id: admin.id });
    });
  });

  describe('security', () => {
    it('keeps another restaurant from listing or revoking a key, which keeps working', async () => {
      const created = await newKey();

      const listed = await t.app.inject({ method: 'GET', url: URL, headers: otherAdmin.headers });
      expect(listed.json().items.map((item: { id: string }) => item.id)).not.toContain(created.id);

      const revoke = await t.app.inject({
        method: 'DELETE',
        url: `${URL}/${created.id}`,
        headers: otherAdmin.headers,
      });
      expect(revoke.statusCode).toBe(404);
      expect(revoke.json().code).toBe('POS_ERR_NOT_FOUND');
      const [row] = (await keyRows()).filter((r) => r.id === created.id);
      expect(row).toMatchObject({ active: 1, revoked_at: null });
      expect((await withKey(created.key)).statusCode).toBe(200);
    });

    it('allows only apikey.manage (admins) on every route', async () => {
      const created = await newKey();
      const before = await keyRows();

      for (const [role, user] of staff) {
        for (const response of [
          await t.app.inject({ method: 'GET', url: URL, headers: user.headers }),
          await create(user, { name: 'x', scopes: ['order.read'] }),
          await t.app.inject({
            method: 'DELETE',
            url: `${URL}/${created.id}`,
            headers: user.headers,
          }),
        ]) {
          expect(response.statusCode, role).toBe(403);
          expect(response.json().code).toBe('POS_ERR_FORBIDDEN');
        }
      }
      expect(await keyRows()).toEqual(before);
    });

    it('does not let a key manage keys, even one created by an admin', async () => {
      const created = await newKey({ scopes: ['order.read', 'user.manage'] });
      const response = await t.app.inject({
        method: 'POST',
        url: URL,
        remoteAddress: '203.0.113.7',
        headers: { 'x-api-key': created.key },
        payload: { name: 'child', scopes: ['order.read'] },
      });
      expect(response.statusCode).toBe(403);
    });

    it('pages through keys with an opaque cursor and rejects a forged one', async () => {
      const first = await t.app.inject({
        method: 'GET',
        url: `${URL}?limit=2`,
        headers: admin.headers,
      });
      const page = first.json<{ items: Array<{ id: string }>; nextCursor: string }>();
      expect(page.items).toHaveLength(2);
      const second = await t.app.inject({
        method: 'GET',
        url: `${URL}?limit=2&cursor=${page.nextCursor}`,
        headers: admin.headers,
      });
      const ids = second.json<{ items: Array<{ id: string }> }>().items.map((item) => item.id);
      expect(ids).not.toContain(page.items[0]!.id);
      expect(ids).not.toContain(page.items[1]!.id);

      const forged = await t.app.inject({
        method: 'GET',
        url: `${URL}?cursor=not-json`,
        headers: admin.headers,
      });
      expect(forged.statusCode).toBe(400);
    });
  });
});
