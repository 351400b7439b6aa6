import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { signIn, seedRestaurant, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import type { Role } from '../../security/authz/permissions.js';
import type { AuditEventView } from './schemas.js';

const ROLES: Role[] = ['admin', 'manager', 'cashier', 'waiter', 'kitchen', 'customer'];
const ROUTES = ['/api/v1/audit-events', '/api/v1/audit-events/verify'];

interface Page {
  items: AuditEventView[];
  nextCursor: string | null;
}

describe.each(testDialects())('audit log API on %s', (dialect) => {
  let t: TestApp;
  const staff = {} as Record<Role, SignedInUser>;
  let otherAdmin: SignedInUser;

  beforeAll(async () => {
    t = await buildTestApp({ dialect });
    const restaurant = await seedRestaurant(t);
    for (const role of ROLES) staff[role] = await signIn(t, restaurant, role);
    otherAdmin = await signIn(t, await seedRestaurant(t), 'admin');
  });
  afterAll(() => t.close());

  const get = (url: string, user?: SignedInUser) =>
    t.app.inject({ method: 'GET', url, ...(user ? { headers: user.headers } : {}) });
  const page = async (url: string, user: SignedInUser = staff.admin) => {
    const response = await get(url, user);
    expect(response.statusCode).toBe(200);
    return response.json<Page>();
  };
  const entries = (restaurantId: string, action: string) =>
    t.context.database.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('restaurant_id', '=', restaurantId)
      .where('action', '=', action)
      .orderBy('seq')
      .execute();

  describe('who may read it', () => {
    it.each(ROUTES)('%s answers 401 without a token', async (url) => {
      const response = await get(url);
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('POS_ERR_UNAUTHENTICATED');
    });

    it.each(ROUTES.flatMap((url) => ROLES.map((role) => [url, role] as const)))(
      '%s as %s',
      async (url, role) => {
        const denialsBefore = (await entries(staff[role].restaurantId, 'authz.deny')).length;

        const response = await get(url, staff[role]);

        if (role === 'admin') {
          expect(response.statusCode).toBe(200);
          return;
        }
        expect(response.statusCode).toBe(403);
        expect(response.json().code).toBe('POS_ERR_FORBIDDEN');
        const denials = await entries(staff[role].restaurantId, 'authz.deny');
        expect(denials).toHaveLength(denialsBefore + 1);
        expect(denials.at(-1)).toMatchObject({
          event_type: 'permission_denied',
          actor_id: staff[role].id,
          details: '{"permission":"audit.read"}',
        });
      },
    );
  });

  describe('listing', () => {
    it("lists the caller's restaurant's entries, newest first, in the documented shape", async () => {
      const { items } = await page('/api/v1/audit-events?limit=100');

      expect(items.length).toBeGreaterThan(5);
      const seqs = items.map((item) => item.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
      const login = items.find(
        (item) => item.eventType === 'login_success' && item.actor.id === staff.cashier.id,
      );
      expect(login).toMatchObject({
        action: 'auth.login',
        outcome: 'success',
        actor: { type: 'user', id: staff.cashier.id, role: 'cashier' },
        source: { ipPrefix: '127.0.0.0/24', ipHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
        resource: { type: 'session' },
        riskScore: 1,
        details: { mfa: false },
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(JSON.stringify(items)).not.toContain(staff.cashier.password);
    });

    it('is itself audited (audit_access), with the filters used and the count returned', async () => {
      const before = (await entries(staff.admin.restaurantId, 'audit.list')).length;

      const { items } = await page('/api/v1/audit-events?eventType=login_success&minRisk=1');

      const reads = await entries(staff.admin.restaurantId, 'audit.list');
      expect(reads).toHaveLength(before + 1);
      expect(reads.at(-1)).toMatchObject({
        event_type: 'audit_access',
        outcome: 'success',
        actor_id: staff.admin.id,
        resource_type: 'audit_events',
      });
      expect(JSON.parse(reads.at(-1)?.details ?? '{}')).toEqual({
        filters: 'eventType,minRisk',
        resultCount: items.length,
      });
    });

    it('filters by event type, action, actor, outcome and minimum risk', async () => {
      const byType = await page('/api/v1/audit-events?eventType=login_success&limit=100');
      const byAction = await page('/api/v1/audit-events?action=auth.mfa.enable&limit=100');
      const byActor = await page(`/api/v1/audit-events?actorId=${staff.waiter.id}&limit=100`);
      const denied = await page('/api/v1/audit-events?outcome=denied&limit=100');
      const risky = await page('/api/v1/audit-events?minRisk=4&limit=100');

      expect(byType.items.length).toBeGreaterThanOrEqual(ROLES.length);
      expect(byType.items.every((item) => item.eventType === 'login_success')).toBe(true);
      expect(byAction.items.map((item) => item.actor.role).sort()).toEqual(['admin', 'manager']);
      expect(byActor.items.length).toBeGreaterThan(0);
      expect(byActor.items.every((item) => item.actor.id === staff.waiter.id)).toBe(true);
      expect(denied.items.length).toBeGreaterThan(0);
      expect(denied.items.every((item) => item.outcome === 'denied')).toBe(true);
      expect(risky.items.length).toBeGreaterThan(0);
      expect(risky.items.every((item) => item.riskScore >= 4)).toBe(true);
    });

    it('filters by time: from inclusive, to exclusive', async () => {
      // Signing in moves the clock (each TOTP code needs the next 30-second step).
      const admin = await signIn(t, await seedRestaurant(t), 'admin');
      t.clock.advance(60_000);
      await page('/api/v1/audit-events', admin);
      const { items: all } = await page('/api/v1/audit-events?limit=100', admin);
      const times = [...new Set(all.map((item) => item.occurredAt))].sort();
      const [, middle] = times;

      const from = await page(`/api/v1/audit-events?from=${middle}&limit=100`, admin);
      const to = await page(`/api/v1/audit-events?to=${middle}&limit=100`, admin);

      expect(times.length).toBeGreaterThan(2);
      expect(from.items.every((item) => item.occurredAt >= (middle ?? ''))).toBe(true);
      expect(to.items.every((item) => item.occurredAt < (middle ?? ''))).toBe(true);
      expect(to.items.length).toBeGreaterThan(0);
    });

    it('pages with an opaque cursor, without gaps or repeats', async () => {
      const { items: all } = await page('/api/v1/audit-events?eventType=login_success&limit=100');
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${cursor}` : '';
        const next: Page = await page(
          `/api/v1/audit-events?eventType=login_success&limit=2${query}`,
        );
        expect(next.items.length).toBeLessThanOrEqual(2);
        seen.push(...next.items.map((item) => item.seq));
        cursor = next.nextCursor;
      } while (cursor);

      expect(seen).toEqual(all.map((item) => item.seq));
    });
  });

  describe('verification', () => {
    it('verifies the restaurant chain and records the check', async () => {
      const response = await get('/api/v1/audit-events/verify', staff.admin);

      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        chainId: staff.admin.restaurantId,
        ok: true,
        checked: expect.any(Number),
        firstBreak: null,
      });
      const checks = await entries(staff.admin.restaurantId, 'audit.verify');
      expect(checks.at(-1)).toMatchObject({ event_type: 'audit_access', outcome: 'success' });
    });
  });

  describe('security', () => {
    it("never shows another restaurant's entries, even filtered by that restaurant's actors", async () => {
      const { items } = await page('/api/v1/audit-events?limit=100', otherAdmin);
      const byForeignActor = await page(
        `/api/v1/audit-events?actorId=${staff.admin.id}&limit=100`,
        otherAdmin,
      );

      expect(items.length).toBeGreaterThan(0);
      const ownIds = new Set([otherAdmin.id]);
      expect(items.every((item) => item.actor.id === null || ownIds.has(item.actor.id))).toBe(true);
      expect(byForeignActor.items).toEqual([]);
    });

    it.each([
      ['a restaurant chosen by the client', `restaurantId=RESTAURANT`, 'POS_ERR_VALIDATION'],
      ['an oversized page', 'limit=1000', 'POS_ERR_VALIDATION'],
      ['a forged cursor', 'cursor=eyJzIjoiMSBPUiAxPTEifQ', 'POS_ERR_VALIDATION'],
      ['a cursor that is not base64 JSON', 'cursor=not-a-cursor', 'POS_ERR_VALIDATION'],
      ['an action outside the action alphabet', 'action=Order%20Create!', 'POS_ERR_VALIDATION'],
      ['SQL in the action filter', "action=x'%20OR%20'1'%3D'1", 'POS_ERR_THREAT_DETECTED'],
      ['SQL in the cursor', 'cursor=%27%20OR%201%3D1--', 'POS_ERR_THREAT_DETECTED'],
      ['an unknown event type', 'eventType=everything', 'POS_ERR_VALIDATION'],
      ['a risk out of range', 'minRisk=11', 'POS_ERR_VALIDATION'],
      ['a time that is not a time', 'from=yesterday', 'POS_ERR_VALIDATION'],
    ])('refuses %s (%s) with 400 %s and records no read', async (_case, query, code) => {
      const before = (await entries(otherAdmin.restaurantId, 'audit.list')).length;

      const response = await get(
        `/api/v1/audit-events?${query.replace('RESTAURANT', staff.admin.restaurantId)}`,
        otherAdmin,
      );

      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe(code);
      expect(await entries(otherAdmin.restaurantId, 'audit.list')).toHaveLength(before);
      const count = await sql<{ n: number }>`select count(*) as n from audit_events`.execute(
        t.context.database.kysely,
      );
      expect(Number(count.rows[0]?.n)).toBeGreaterThan(0);
    });

    it('refuses a forged token with 401 and answers nothing', async () => {
      const [header, payload] = staff.admin.accessToken.split('.');
      const forged = `${header}.${payload}.${'A'.repeat(43)}`;

      const response = await t.app.inject({
        method: 'GET',
        url: '/api/v1/audit-events',
        headers: { authorization: `Bearer ${forged}` },
      });

      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('POS_ERR_UNAUTHENTICATED');
      expect(response.body).not.toContain('items');
    });
  });

  describe('tamper detection through the API, once an attacker has dropped the triggers', () => {
    let tampered: TestApp;
    let admin: SignedInUser;
    let bystander: SignedInUser;

    beforeAll(async () => {
      tampered = await buildTestApp({ dialect });
      admin = await signIn(tampered, await seedRestaurant(tampered), 'admin');
      bystander = await signIn(tampered, await seedRestaurant(tampered), 'admin');
      const db = tampered.context.database.kysely;
      if (dialect === 'sqlite') await sql`DROP TRIGGER audit_events_no_update`.execute(db);
      else await sql`DROP TRIGGER audit_events_append_only ON audit_events`.execute(db);
    });
    afterAll(() => tampered.close());

    it('names the first edited entry and raises a security alert', async () => {
      const db = tampered.context.database.kysely;
      const target = await db
        .selectFrom('audit_events')
        .selectAll()
        .where('chain_id', '=', admin.restaurantId)
        .where('seq', '=', 2)
        .executeTakeFirstOrThrow();
      await db
        .updateTable('audit_events')
        .set({ actor_id: 'someone-else' })
        .where('id', '=', target.id)
        .execute();

      const response = await tampered.app.inject({
        method: 'GET',
        url: '/api/v1/audit-events/verify',
        headers: admin.headers,
      });

      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        chainId: admin.restaurantId,
        ok: false,
        checked: 1,
        firstBreak: { seq: 2, entryId: target.id, reason: 'hash_mismatch' },
      });
      const alerts = await db
        .selectFrom('security_alerts')
        .selectAll()
        .where('restaurant_id', '=', admin.restaurantId)
        .execute();
      expect(alerts).toEqual([
        expect.objectContaining({ event_type: 'security_alert', action: 'audit.verify' }),
      ]);
    });

    it("leaves another restaurant's chain verifying", async () => {
      const response = await tampered.app.inject({
        method: 'GET',
        url: '/api/v1/audit-events/verify',
        headers: bystander.headers,
      });

      expect(response.json()).toMatchObject({ chainId: bystander.restaurantId, ok: true });
    });
  });
});
