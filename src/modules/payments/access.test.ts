import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import {
  ROLES,
  roleHasPermission,
  type Permission,
  type Role,
} from '../../security/authz/permissions.js';
import type { Restaurant } from '../restaurants/repository.js';
import { countRows, newKey, openDrawer, pay, seedOrder } from './payments.test-helpers.js';

const CARD = { brand: 'elo', last4: '0001', authorizationCode: 'A77', nsu: '5' };

/** Every table a denied or foreign request could touch, counted before and after. */
async function snapshot(t: TestApp) {
  const tables = [
    'payments',
    'refunds',
    'cashier_sessions',
    'cashier_movements',
    'idempotency_keys',
  ] as const;
  const counts = await Promise.all(tables.map((table) => countRows(t, table)));
  const orders = await t.context.database.kysely
    .selectFrom('orders')
    .select(['id', 'status', 'paid_cents'])
    .orderBy('id')
    .execute();
  const sessions = await t.context.database.kysely
    .selectFrom('cashier_sessions')
    .select(['id', 'status'])
    .orderBy('id')
    .execute();
  return { counts, orders, sessions };
}

describe.each(testDialects())('payments and cash drawer access (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  const users = {} as Record<Role, SignedInUser>;
  /** An open drawer, a captured payment and a pending PIX charge of restaurant A. */
  let fixture: { drawer: string; payment: string; pending: string; order: string };

  beforeAll(async () => {
    t = await buildTestApp({ dialect });
    restaurant = await seedRestaurant(t);
    await t.context.database.kysely
      .updateTable('restaurants')
      .set({ pix_key: 'caixa@restaurante.com.br' })
      .where('id', '=', restaurant.id)
      .execute();
    for (const role of ROLES) users[role] = await signIn(t, restaurant, role);

    // The fixture's drawer belongs to a cashier of its own, so each role's user starts without one.
    const cashier = await signIn(t, restaurant, 'cashier');
    const drawer = await openDrawer(t, cashier);
    const order = await seedOrder(t, restaurant, cashier.id, { totalCents: 100_000 });
    const payment = await pay(t, cashier, order, {
      method: 'credit',
      amountCents: 50_000,
      card: CARD,
    });
    const pending = await pay(t, cashier, order, { method: 'pix', amountCents: 1_000 });
    fixture = { drawer, order, payment: payment.json().id, pending: pending.json().id };
  });
  afterAll(() => t.close());

  interface RouteCase {
    name: string;
    permission: Permission;
    /** A request an allowed role can make succeed (it may set up its own objects first). */
    send: (user: SignedInUser, role: Role) => Promise<LightMyRequestResponse>;
    /** The status an allowed role gets. */
    allowed: number | ((role: Role) => number);
  }

  const inject = (user: SignedInUser, method: 'GET' | 'POST', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: user.headers, ...(payload ? { payload } : {}) });

  /** Each role's open drawer (one per operator), opened on first use. */
  const openDrawers = new Map<Role, string>();

  /** The role's own open drawer when it may hold one, else the fixture's. */
  const drawerOf = async (user: SignedInUser, role: Role) => {
    if (!roleHasPermission(role, 'cashier.operate')) return fixture.drawer;
    const open = openDrawers.get(role) ?? (await openDrawer(t, user));
    openDrawers.set(role, open);
    return open;
  };

  const pendingCharge = async (user: SignedInUser, role: Role) => {
    if (!roleHasPermission(role, 'payment.process')) return fixture.pending;
    const order = await seedOrder(t, restaurant, user.id, { totalCents: 500 });
    return (await pay(t, user, order, { method: 'pix', amountCents: 500 })).json().id as string;
  };

  const routes: RouteCase[] = [
    {
      name: 'POST /api/v1/cashier/sessions',
      permission: 'cashier.operate',
      send: async (user, role) => {
        const response = await inject(user, 'POST', '/api/v1/cashier/sessions', {
          terminalId: `t-${newKey().slice(4, 12)}`,
          openingFloatCents: 0,
        });
        if (response.statusCode === 201) openDrawers.set(role, response.json().id);
        return response;
      },
      allowed: 201,
    },
    {
      name: 'GET /api/v1/cashier/sessions/:id',
      permission: 'cashier.operate',
      send: async (user, role) =>
        inject(user, 'GET', `/api/v1/cashier/sessions/${await drawerOf(user, role)}`),
      allowed: 200,
    },
    {
      name: 'POST /api/v1/cashier/sessions/:id/deposits',
      permission: 'cashier.operate',
      send: async (user, role) =>
        inject(user, 'POST', `/api/v1/cashier/sessions/${await drawerOf(user, role)}/deposits`, {
          amountCents: 100,
          reason: 'troco',
        }),
      allowed: 201,
    },
    {
      name: 'POST /api/v1/cashier/sessions/:id/withdrawals',
      permission: 'cashier.operate',
      send: async (user, role) =>
        inject(user, 'POST', `/api/v1/cashier/sessions/${await drawerOf(user, role)}/withdrawals`, {
          amountCents: 100,
          reason: 'sangria',
        }),
      allowed: 201,
    },
    {
      name: 'POST /api/v1/cashier/sessions/:id/close',
      permission: 'cashier.operate',
      send: async (user, role) => {
        const drawer = await drawerOf(user, role);
        openDrawers.delete(role);
        return inject(user, 'POST', `/api/v1/cashier/sessions/${drawer}/close`, {
          countedCents: 10_000,
        });
      },
      allowed: 200,
    },
    {
      name: 'POST /api/v1/orders/:id/payments',
      permission: 'payment.process',
      send: (user) =>
        pay(t, user, fixture.order, { method: 'debit', amountCents: 100, card: CARD }),
      allowed: 201,
    },
    {
      name: 'POST /api/v1/payments/:id/refunds',
      permission: 'payment.process',
      send: (user) =>
        t.app.inject({
          method: 'POST',
          url: `/api/v1/payments/${fixture.payment}/refunds`,
          headers: { ...user.headers, 'idempotency-key': newKey() },
          payload: { amountCents: 100, reason: 'teste de acesso' },
        }),
      // The route admits payment.process; the refund itself needs payment.refund or an approval.
      allowed: (role) => (roleHasPermission(role, 'payment.refund') ? 201 : 403),
    },
    {
      name: 'POST /api/v1/payments/:id/confirm',
      permission: 'payment.process',
      send: async (user, role) =>
        inject(user, 'POST', `/api/v1/payments/${await pendingCharge(user, role)}/confirm`),
      allowed: 200,
    },
    {
      name: 'POST /api/v1/payments/:id/cancel',
      permission: 'payment.process',
      send: async (user, role) =>
        inject(user, 'POST', `/api/v1/payments/${await pendingCharge(user, role)}/cancel`),
      allowed: 200,
    },
    {
      name: 'GET /api/v1/payments',
      permission: 'payment.view',
      send: (user) => inject(user, 'GET', '/api/v1/payments'),
      allowed: 200,
    },
    {
      name: 'GET /api/v1/payments/:id',
      permission: 'payment.view',
      send: (user) => inject(user, 'GET', `/api/v1/payments/${fixture.payment}`),
      allowed: 200,
    },
  ];

  describe.each(routes)('$name', (route) => {
    it.each(ROLES.map((role) => [role]))('as %s', async (role) => {
      const user = users[role];
      const permitted = roleHasPermission(role, route.permission);
      const before = permitted ? null : await snapshot(t);

      const response = await route.send(user, role);

      if (permitted) {
        const expected = typeof route.allowed === 'number' ? route.allowed : route.allowed(role);
        expect(response.statusCode, response.body).toBe(expected);
        if (expected === 403) expect(response.json().code).toBe('POS_ERR_APPROVAL_INVALID');
        return;
      }
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('POS_ERR_FORBIDDEN');
      expect(await snapshot(t)).toEqual(before);
    });

    it('answers 401 without credentials', async () => {
      const url = route.name.split(' ')[1]!.replace(':id', fixture.payment);
      const response = await t.app.inject({
        method: route.name.split(' ')[0] as 'GET' | 'POST',
        url,
        headers: { 'idempotency-key': newKey() },
        payload: route.name.startsWith('GET') ? undefined : {},
      });

      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('POS_ERR_UNAUTHENTICATED');
    });
  });

  describe("another restaurant's objects", () => {
    let intruder: SignedInUser;

    beforeAll(async () => {
      const other = await seedRestaurant(t);
      intruder = await signIn(t, other, 'admin');
      await openDrawer(t, intruder);
    });

    const foreign: Array<[string, () => Promise<LightMyRequestResponse>]> = [
      [
        'reads a drawer',
        () => inject(intruder, 'GET', `/api/v1/cashier/sessions/${fixture.drawer}`),
      ],
      [
        'withdraws from a drawer',
        () =>
          inject(intruder, 'POST', `/api/v1/cashier/sessions/${fixture.drawer}/withdrawals`, {
            amountCents: 100,
            reason: 'sangria',
          }),
      ],
      [
        'deposits into a drawer',
        () =>
          inject(intruder, 'POST', `/api/v1/cashier/sessions/${fixture.drawer}/deposits`, {
            amountCents: 100,
            reason: 'troco',
          }),
      ],
      [
        'closes a drawer',
        () =>
          inject(intruder, 'POST', `/api/v1/cashier/sessions/${fixture.drawer}/close`, {
            countedCents: 0,
          }),
      ],
      [
        'pays an order',
        () => pay(t, intruder, fixture.order, { method: 'debit', amountCents: 100, card: CARD }),
      ],
      [
        'refunds a payment',
        () =>
          t.app.inject({
            method: 'POST',
            url: `/api/v1/payments/${fixture.payment}/refunds`,
            headers: { ...intruder.headers, 'idempotency-key': newKey() },
            payload: { amountCents: 100, reason: 'invasao' },
          }),
      ],
      [
        'confirms a PIX charge',
        () => inject(intruder, 'POST', `/api/v1/payments/${fixture.pending}/confirm`),
      ],
      [
        'cancels a PIX charge',
        () => inject(intruder, 'POST', `/api/v1/payments/${fixture.pending}/cancel`),
      ],
      ['reads a payment', () => inject(intruder, 'GET', `/api/v1/payments/${fixture.payment}`)],
    ];

    it.each(foreign)(
      'answers 404 when an admin of another restaurant %s, changing nothing',
      async (_, send) => {
        const before = await snapshot(t);
        const refundsBefore = await countRows(t, 'refunds');

        const response = await send();

        expect(response.statusCode).toBe(404);
        expect(response.json().code).toBe('POS_ERR_NOT_FOUND');
        const after = await snapshot(t);
        expect(after.orders).toEqual(before.orders);
        expect(after.sessions).toEqual(before.sessions);
        expect(await countRows(t, 'payments')).toBe(before.counts[0]);
        expect(await countRows(t, 'refunds')).toBe(refundsBefore);
        expect(await countRows(t, 'cashier_movements')).toBe(before.counts[3]);
      },
    );

    it('lists none of the other restaurant’s payments, whatever the filter says', async () => {
      const response = await inject(intruder, 'GET', `/api/v1/payments?orderId=${fixture.order}`);

      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ items: [], nextCursor: null });
    });
  });
});
