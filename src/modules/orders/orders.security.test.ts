import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TestApp } from '../../../test/helpers/app.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import { ROLES, type Role } from '../../security/authz/permissions.js';
import {
  buildOrdersTestApp,
  call,
  managerApproval,
  openOrder,
  seedOrderFixture,
  storedOrder,
  type OrderBody,
  type OrderFixture,
} from './orders.test-helpers.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One route, how to aim it at a fresh target, and the roles allowed through it. */
interface RouteCase {
  route: string;
  allowed: readonly Role[];
  /** Status of an allowed call. */
  ok: number;
  /** Builds the request against fresh data, so each role meets the same starting state. */
  aim(f: OrderFixture): Promise<{ method: Method; url: string; body?: unknown; orderId?: string }>;
}

const FLOOR: readonly Role[] = ['admin', 'manager', 'cashier', 'waiter'];
const STAFF: readonly Role[] = [...FLOOR, 'kitchen'];

describe.each(testDialects())('orders security (%s)', (dialect) => {
  let t: TestApp;
  let f: OrderFixture;
  let other: OrderFixture;

  beforeAll(async () => {
    t = await buildOrdersTestApp({ dialect });
    f = await seedOrderFixture(t);
    other = await seedOrderFixture(t);
  });
  afterAll(() => t.close());

  const db = () => t.context.database.kysely;
  const countOrders = async () =>
    Number(
      (
        await db()
          .selectFrom('orders')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const sentOrder = async (fixture: OrderFixture): Promise<OrderBody> => {
    const order = await openOrder(t, fixture);
    await call(t, fixture.users.waiter, 'POST', `/api/v1/orders/${order.id}/send`);
    return order;
  };
  const ticketOf = async (orderId: string) =>
    db()
      .selectFrom('kitchen_tickets')
      .selectAll()
      .where('order_id', '=', orderId)
      .executeTakeFirstOrThrow();
  const expectError = (response: LightMyRequestResponse, status: number, code: string) => {
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ statusCode: status, code });
  };

  const ROUTES: RouteCase[] = [
    {
      route: 'GET /api/v1/orders',
      allowed: ROLES,
      ok: 200,
      aim: async () => ({ method: 'GET', url: '/api/v1/orders' }),
    },
    {
      route: 'POST /api/v1/orders',
      allowed: FLOOR,
      ok: 201,
      aim: async (fx) => ({
        method: 'POST',
        url: '/api/v1/orders',
        body: { type: 'takeaway', items: [{ productId: fx.products.soda, quantity: 1 }] },
      }),
    },
    {
      route: 'GET /api/v1/orders/:id',
      allowed: ROLES,
      ok: 200,
      aim: async (fx) => {
        // The customer's own order, so that the customer's one allowed read is exercised.
        const order = await openOrder(t, fx, fx.users.cashier, { customerId: fx.customerId });
        return { method: 'GET', url: `/api/v1/orders/${order.id}`, orderId: order.id };
      },
    },
    {
      route: 'PATCH /api/v1/orders/:id',
      allowed: FLOOR,
      ok: 200,
      aim: async (fx) => {
        const order = await openOrder(t, fx);
        return {
          method: 'PATCH',
          url: `/api/v1/orders/${order.id}`,
          body: { tableLabel: 'Mesa 1' },
          orderId: order.id,
        };
      },
    },
    {
      route: 'POST /api/v1/orders/:id/items',
      allowed: FLOOR,
      ok: 201,
      aim: async (fx) => {
        const order = await openOrder(t, fx);
        return {
          method: 'POST',
          url: `/api/v1/orders/${order.id}/items`,
          body: { items: [{ productId: fx.products.burger, quantity: 1 }] },
          orderId: order.id,
        };
      },
    },
    {
      route: 'DELETE /api/v1/orders/:id/items/:itemId',
      allowed: FLOOR,
      ok: 200,
      aim: async (fx) => {
        const order = await openOrder(t, fx);
        return {
          method: 'DELETE',
          url: `/api/v1/orders/${order.id}/items/${order.items[1]?.id}`,
          orderId: order.id,
        };
      },
    },
    {
      route: 'POST /api/v1/orders/:id/send',
      allowed: FLOOR,
      ok: 200,
      aim: async (fx) => {
        const order = await openOrder(t, fx);
        return { method: 'POST', url: `/api/v1/orders/${order.id}/send`, orderId: order.id };
      },
    },
    {
      route: 'POST /api/v1/orders/:id/cancel',
      allowed: ['admin', 'manager'],
      ok: 200,
      aim: async (fx) => {
        const order = await openOrder(t, fx);
        return {
          method: 'POST',
          url: `/api/v1/orders/${order.id}/cancel`,
          body: { reason: 'teste' },
          orderId: order.id,
        };
      },
    },
    {
      route: 'DELETE /api/v1/orders/:id',
      allowed: ['admin'],
      ok: 204,
      aim: async (fx) => {
        const order = await openOrder(t, fx);
        return { method: 'DELETE', url: `/api/v1/orders/${order.id}`, orderId: order.id };
      },
    },
    {
      route: 'GET /api/v1/kds/tickets',
      allowed: STAFF,
      ok: 200,
      aim: async () => ({ method: 'GET', url: '/api/v1/kds/tickets' }),
    },
    {
      route: 'PATCH /api/v1/kds/tickets/:id',
      allowed: ['admin', 'manager', 'kitchen'],
      ok: 200,
      aim: async (fx) => {
        const order = await sentOrder(fx);
        const ticket = await ticketOf(order.id);
        return {
          method: 'PATCH',
          url: `/api/v1/kds/tickets/${ticket.id}`,
          body: { status: 'preparing' },
          orderId: order.id,
        };
      },
    },
  ];

  describe('role by route', () => {
    for (const routeCase of ROUTES) {
      for (const role of ROLES) {
        const allowed = routeCase.allowed.includes(role);
        it(`${routeCase.route}: ${role} is ${allowed ? 'allowed' : 'refused with 403'}`, async () => {
          const target = await routeCase.aim(f);
          const before = target.orderId ? await storedOrder(t, target.orderId) : undefined;
          const ticketBefore =
            routeCase.route.includes('kds/tickets/:id') && target.orderId
              ? await ticketOf(target.orderId)
              : undefined;

          const response = await call(t, f.users[role], target.method, target.url, target.body);

          if (allowed) {
            expect(response.statusCode, response.body).toBe(routeCase.ok);
            return;
          }
          expectError(response, 403, 'POS_ERR_FORBIDDEN');
          if (target.orderId) expect(await storedOrder(t, target.orderId)).toEqual(before);
          if (ticketBefore) expect(await ticketOf(ticketBefore.order_id)).toEqual(ticketBefore);
        });
      }
    }

    it('answers every route 401 without credentials', async () => {
      for (const routeCase of ROUTES) {
        const target = await routeCase.aim(f);
        const response = await call(t, null, target.method, target.url, target.body);
        expectError(response, 401, 'POS_ERR_UNAUTHENTICATED');
      }
    });

    it('audits a permission denial', async () => {
      const order = await openOrder(t, f);
      await call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/cancel`, { reason: 'x' });

      const denial = (
        await auditEntries(t, { restaurantId: f.restaurant.id, action: 'authz.deny' })
      ).at(-1);
      expect(denial).toMatchObject({
        event_type: 'permission_denied',
        actor_id: f.users.waiter.id,
        outcome: 'denied',
      });
      expect(detailsOf(denial)).toEqual({ permission: 'order.cancel' });
    });
  });

  describe('another restaurant', () => {
    it('answers 404 for every order route aimed at another restaurant, and changes nothing', async () => {
      const order = await sentOrder(f);
      const before = await storedOrder(t, order.id);
      const item = order.items[0]?.id;
      const attacker = other.users.admin;
      const attempts: [Method, string, unknown?][] = [
        ['GET', `/api/v1/orders/${order.id}`],
        ['PATCH', `/api/v1/orders/${order.id}`, { discountCents: 100 }],
        [
          'POST',
          `/api/v1/orders/${order.id}/items`,
          { items: [{ productId: other.products.soda, quantity: 1 }] },
        ],
        ['DELETE', `/api/v1/orders/${order.id}/items/${item}`],
        ['POST', `/api/v1/orders/${order.id}/send`],
        ['POST', `/api/v1/orders/${order.id}/cancel`, { reason: 'x' }],
        ['DELETE', `/api/v1/orders/${order.id}`],
      ];

      for (const [method, url, body] of attempts) {
        expectError(await call(t, attacker, method, url, body), 404, 'POS_ERR_NOT_FOUND');
      }
      expect(await storedOrder(t, order.id)).toEqual(before);
      const items = await db()
        .selectFrom('order_items')
        .select('status')
        .where('order_id', '=', order.id)
        .execute();
      expect(items.map((i) => i.status)).toEqual(['sent', 'sent']);
    });

    it('answers 404 for another restaurant ticket and keeps it off the lists', async () => {
      const order = await sentOrder(f);
      const ticket = await ticketOf(order.id);

      const moved = await call(
        t,
        other.users.kitchen,
        'PATCH',
        `/api/v1/kds/tickets/${ticket.id}`,
        { status: 'preparing' },
      );
      expectError(moved, 404, 'POS_ERR_NOT_FOUND');
      expect(await ticketOf(order.id)).toEqual(ticket);

      const tickets = await call(t, other.users.kitchen, 'GET', '/api/v1/kds/tickets?limit=100');
      expect(tickets.json<{ items: { id: string }[] }>().items.map((i) => i.id)).not.toContain(
        ticket.id,
      );
      const orders = await call(t, other.users.admin, 'GET', '/api/v1/orders?limit=100');
      expect(orders.json<{ items: { id: string }[] }>().items.map((o) => o.id)).not.toContain(
        order.id,
      );
    });

    it("refuses another restaurant's products and customers", async () => {
      const product = await call(t, other.users.waiter, 'POST', '/api/v1/orders', {
        type: 'takeaway',
        items: [{ productId: f.products.burger, quantity: 1 }],
      });
      expectError(product, 409, 'POS_ERR_PRODUCT_UNAVAILABLE');

      const customer = await call(t, other.users.cashier, 'POST', '/api/v1/orders', {
        type: 'delivery',
        customerId: f.customerId,
        items: [],
      });
      expectError(customer, 400, 'POS_ERR_VALIDATION');
    });

    it('refuses an approval granted in another restaurant', async () => {
      const order = await openOrder(t, f);
      const foreign = await managerApproval(
        t,
        other,
        other.users.cashier,
        'discount',
        order.id,
        3000,
      );

      const response = await call(t, f.users.cashier, 'PATCH', `/api/v1/orders/${order.id}`, {
        discountCents: 3000,
        approvalToken: foreign,
      });

      expectError(response, 403, 'POS_ERR_APPROVAL_INVALID');
      expect((await storedOrder(t, order.id))?.discount_cents).toBe(0);
    });
  });

  describe('prices, totals and state come only from the server', () => {
    const base = () => ({
      type: 'takeaway',
      items: [{ productId: f.products.burger, quantity: 1 }],
    });

    it.each([
      [
        'body/items/0/unitPriceCents',
        { items: [{ productId: 'x', quantity: 1, unitPriceCents: 1 }] },
      ],
      ['body/items/0/priceCents', { items: [{ productId: 'x', quantity: 1, priceCents: 1 }] }],
      [
        'body/items/0/lineTotalCents',
        { items: [{ productId: 'x', quantity: 1, lineTotalCents: 1 }] },
      ],
      ['body/totalCents', { totalCents: 1 }],
      ['body/subtotalCents', { subtotalCents: 1 }],
      ['body/discountCents', { discountCents: 1 }],
      ['body/serviceFeeCents', { serviceFeeCents: 0 }],
      ['body/paidCents', { paidCents: 2590 }],
      ['body/status', { status: 'paid' }],
      ['body/number', { number: 1 }],
      ['body/restaurantId', { restaurantId: 'x' }],
    ])('rejects a client-sent %s when creating, and stores nothing', async (path, extra) => {
      const before = await countOrders();

      const response = await call(t, f.users.waiter, 'POST', '/api/v1/orders', {
        ...base(),
        ...extra,
      });

      expectError(response, 400, 'POS_ERR_VALIDATION');
      expect(
        response.json<{ fields: { path: string }[] }>().fields.map((field) => field.path),
      ).toContain(path);
      expect(await countOrders()).toBe(before);
    });

    it.each([
      ['body/status', { status: 'paid' }],
      ['body/totalCents', { totalCents: 1 }],
      ['body/paidCents', { paidCents: 4279 }],
      ['body/type', { type: 'takeaway' }],
      ['body/restaurantId', { restaurantId: 'x' }],
      ['body/serviceFeeCents', { serviceFeeCents: 0 }],
    ])('rejects %s in an order update and changes nothing', async (path, body) => {
      const order = await openOrder(t, f);
      const before = await storedOrder(t, order.id);

      const response = await call(t, f.users.manager, 'PATCH', `/api/v1/orders/${order.id}`, body);

      expectError(response, 400, 'POS_ERR_VALIDATION');
      expect(
        response.json<{ fields: { path: string }[] }>().fields.map((field) => field.path),
      ).toContain(path);
      expect(await storedOrder(t, order.id)).toEqual(before);
    });

    it('rejects a price on an added item', async () => {
      const order = await openOrder(t, f);
      const before = await storedOrder(t, order.id);

      const response = await call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/items`, {
        items: [{ productId: f.products.burger, quantity: 1, unitPriceCents: 1 }],
      });

      expectError(response, 400, 'POS_ERR_VALIDATION');
      expect(response.json().fields).toEqual([
        { path: 'body/items/0/unitPriceCents', message: expect.any(String) },
      ]);
      expect(await storedOrder(t, order.id)).toEqual(before);
    });

    it.each([
      ['a quantity of 0', { quantity: 0 }, 'body/items/0/quantity'],
      ['a quantity of 100', { quantity: 100 }, 'body/items/0/quantity'],
      ['a quantity sent as text', { quantity: '2' }, 'body/items/0/quantity'],
      ['a fractional quantity', { quantity: 1.5 }, 'body/items/0/quantity'],
      ['notes of 141 characters', { quantity: 1, notes: 'x'.repeat(141) }, 'body/items/0/notes'],
    ])('rejects %s', async (_label, item, path) => {
      const before = await countOrders();

      const response = await call(t, f.users.waiter, 'POST', '/api/v1/orders', {
        type: 'takeaway',
        items: [{ productId: f.products.burger, ...item }],
      });

      expectError(response, 400, 'POS_ERR_VALIDATION');
      expect(
        response.json<{ fields: { path: string }[] }>().fields.map((field) => field.path),
      ).toContain(path);
      expect(await countOrders()).toBe(before);
    });

    it('rejects more than 50 items at once and a body above the size limit', async () => {
      const many = Array.from({ length: 51 }, () => ({ productId: f.products.soda, quantity: 1 }));
      expectError(
        await call(t, f.users.waiter, 'POST', '/api/v1/orders', { type: 'takeaway', items: many }),
        400,
        'POS_ERR_VALIDATION',
      );

      const huge = {
        type: 'takeaway',
        items: [{ productId: f.products.soda, quantity: 1, notes: 'x'.repeat(2_000_000) }],
      };
      expectError(
        await call(t, f.users.waiter, 'POST', '/api/v1/orders', huge),
        413,
        'POS_ERR_PAYLOAD_TOO_LARGE',
      );
    });

    it('rejects a forged approval token and keeps the item', async () => {
      const order = await sentOrder(f);
      const url = `/api/v1/orders/${order.id}/items/${order.items[0]?.id}`;

      const response = await call(t, f.users.waiter, 'DELETE', url, {
        approvalToken: 'A'.repeat(43),
      });

      expectError(response, 403, 'POS_ERR_APPROVAL_INVALID');
      expect((await storedOrder(t, order.id))?.total_cents).toBe(4279);
    });
  });

  describe('the kitchen moves tickets, nothing else', () => {
    it('refuses the kitchen any change to items, discount or sending with 403', async () => {
      const order = await openOrder(t, f);
      const before = await storedOrder(t, order.id);
      const kitchen = f.users.kitchen;

      for (const [method, url, body] of [
        [
          'POST',
          `/api/v1/orders/${order.id}/items`,
          { items: [{ productId: f.products.soda, quantity: 1 }] },
        ],
        ['DELETE', `/api/v1/orders/${order.id}/items/${order.items[0]?.id}`, undefined],
        ['PATCH', `/api/v1/orders/${order.id}`, { discountCents: 100 }],
        ['POST', `/api/v1/orders/${order.id}/send`, undefined],
      ] as const) {
        expectError(await call(t, kitchen, method, url, body), 403, 'POS_ERR_FORBIDDEN');
      }
      expect(await storedOrder(t, order.id)).toEqual(before);
    });

    it.each([
      ['body/items', { status: 'preparing', items: [] }],
      ['body/orderId', { status: 'preparing', orderId: 'x' }],
      ['body/tableLabel', { status: 'preparing', tableLabel: 'Mesa 1' }],
      ['body/status', { status: 'paid' }],
      ['body/status', {}],
    ])('rejects %s in a ticket move and leaves the ticket as it was', async (path, body) => {
      const order = await sentOrder(f);
      const ticket = await ticketOf(order.id);

      const response = await call(
        t,
        f.users.kitchen,
        'PATCH',
        `/api/v1/kds/tickets/${ticket.id}`,
        body,
      );

      expectError(response, 400, 'POS_ERR_VALIDATION');
      expect(
        response.json<{ fields: { path: string }[] }>().fields.map((field) => field.path),
      ).toContain(path);
      expect(await ticketOf(order.id)).toEqual(ticket);
    });

    it('answers an illegal ticket move with 409 POS_ERR_INVALID_TRANSITION', async () => {
      const order = await sentOrder(f);
      const ticket = await ticketOf(order.id);

      const skip = await call(t, f.users.kitchen, 'PATCH', `/api/v1/kds/tickets/${ticket.id}`, {
        status: 'served',
      });

      expectError(skip, 409, 'POS_ERR_INVALID_TRANSITION');
      expect((await ticketOf(order.id)).status).toBe('queued');
      expect((await storedOrder(t, order.id))?.status).toBe('in_kitchen');
    });
  });
});
