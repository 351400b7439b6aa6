import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { signIn, seedRestaurant, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import type { Role } from '../../security/authz/permissions.js';
import type { AlertView } from './schemas.js';

const ROLES: Role[] = ['admin', 'manager', 'cashier', 'waiter', 'kitchen', 'customer'];
const URL = '/api/v1/security/alerts';

interface Page {
  items: AlertView[];
  nextCursor: string | null;
}

describe.each(testDialects())('security alerts API on %s', (dialect) => {
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

  /** A refresh-token reuse in `restaurantId`: risk 9, so it raises an alert. */
  const raise = (restaurantId: string) =>
    inTransaction(t.context.database, (tx) =>
      t.context.audit.record(tx, {
        type: 'token_reuse',
        action: 'auth.refresh_reuse',
        outcome: 'denied',
        restaurantId,
        actor: { type: 'user', id: staff.cashier.id, role: 'cashier' },
        resource: { type: 'session', id: 'session-1' },
        risk: { suspiciousPattern: true },
      }),
    );
  const list = async (user: SignedInUser, query = '') => {
    const response = await t.app.inject({
      method: 'GET',
      url: `${URL}${query}`,
      headers: user.headers,
    });
    expect(response.statusCode).toBe(200);
    return response.json<Page>();
  };

  it.each(ROLES)('as %s', async (role) => {
    const response = await t.app.inject({ method: 'GET', url: URL, headers: staff[role].headers });

    expect(response.statusCode).toBe(role === 'admin' ? 200 : 403);
    if (role !== 'admin') expect(response.json().code).toBe('POS_ERR_FORBIDDEN');
  });

  it('answers 401 without a token', async () => {
    const response = await t.app.inject({ method: 'GET', url: URL });
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('POS_ERR_UNAUTHENTICATED');
  });

  it('lists alerts newest first, with their delivery state, and audits the read', async () => {
    const first = await raise(staff.admin.restaurantId);
    const second = await raise(staff.admin.restaurantId);
    await t.context.database.kysely
      .insertInto('alert_outbox')
      .values({
        id: 'outbox-1',
        alert_id: (
          await t.context.database.kysely
            .selectFrom('security_alerts')
            .select('id')
            .where('audit_event_id', '=', first.id)
            .executeTakeFirstOrThrow()
        ).id,
        payload: '{}',
        status: 'failed',
        attempts: 8,
        next_attempt_at: '2026-01-15T12:00:00.000Z',
        last_error: 'timeout',
        last_status: null,
        created_at: '2026-01-15T12:00:00.000Z',
        updated_at: '2026-01-15T12:00:00.000Z',
        delivered_at: null,
      })
      .execute();

    const { items } = await list(staff.admin);

    expect(items.slice(0, 2)).toEqual([
      expect.objectContaining({
        auditEventId: second.id,
        seq: second.seq,
        eventType: 'token_reuse',
        action: 'auth.refresh_reuse',
        riskScore: second.risk_score,
        delivery: { status: 'not_configured', attempts: 0, lastError: null, deliveredAt: null },
      }),
      expect.objectContaining({
        auditEventId: first.id,
        delivery: { status: 'failed', attempts: 8, lastError: 'timeout', deliveredAt: null },
      }),
    ]);
    const reads = await t.context.database.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('restaurant_id', '=', staff.admin.restaurantId)
      .where('action', '=', 'alerts.list')
      .execute();
    expect(reads.at(-1)).toMatchObject({ event_type: 'audit_access', actor_id: staff.admin.id });
  });

  it('pages with a cursor', async () => {
    const { items: all } = await list(staff.admin, '?limit=100');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const next: Page = await list(staff.admin, `?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...next.items.map((item) => item.id));
      cursor = next.nextCursor;
    } while (cursor);

    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual(all.map((item) => item.id));
  });

  describe('security', () => {
    it("never shows another restaurant's alerts", async () => {
      await raise(otherAdmin.restaurantId);

      const own = await list(otherAdmin);
      const theirs = await list(staff.admin, '?limit=100');

      expect(own.items).toHaveLength(1);
      expect(theirs.items.map((item) => item.id)).not.toContain(own.items[0]?.id);
    });

    it.each([
      ['a restaurant chosen by the client', 'restaurantId=RESTAURANT'],
      ['an oversized page', 'limit=101'],
      ['a forged cursor', 'cursor=bm90LWEtY3Vyc29y'],
    ])('refuses %s with 400 POS_ERR_VALIDATION', async (_case, query) => {
      const response = await t.app.inject({
        method: 'GET',
        url: `${URL}?${query.replace('RESTAURANT', staff.admin.restaurantId)}`,
        headers: otherAdmin.headers,
      });

      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('POS_ERR_VALIDATION');
    });
  });
});
