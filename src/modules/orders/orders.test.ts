import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TestApp } from '../../../test/helpers/app.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import { signIn } from '../../../test/helpers/auth.js';
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

describe.each(testDialects())('orders (%s)', (dialect) => {
  let t: TestApp;
  let f: OrderFixture;

  beforeAll(async () => {
    t = await buildOrdersTestApp({ dialect });
    f = await seedOrderFixture(t);
  });
  afterAll(() => t.close());

  const db = () => t.context.database.kysely;
  const stock = async (productId: string) =>
    (
      await db()
        .selectFrom('products')
        .select('stock_quantity')
        .where('id', '=', productId)
        .executeTakeFirstOrThrow()
    ).stock_quantity;

  describe('creating', () => {
    it('prices items from the catalog and computes the totals on the server', async () => {
      const order = await openOrder(t, f);

      expect(order.status).toBe('open');
      expect(order.items).toMatchObject([
        {
          productName: 'X-Burguer',
          unitPriceCents: 2590,
          quantity: 1,
          lineTotalCents: 2590,
          notes: 'sem cebola',
          status: 'pending',
        },
        {
          productName: 'Guaraná',
          unitPriceCents: 650,
          quantity: 2,
          lineTotalCents: 1300,
          notes: null,
          status: 'pending',
        },
      ]);
      // 10% service fee on a dine-in subtotal of 38.90.
      expect(order).toMatchObject({
        subtotalCents: 3890,
        discountCents: 0,
        serviceFeeCents: 389,
        totalCents: 4279,
        paidCents: 0,
      });
      expect(await storedOrder(t, order.id)).toMatchObject({
        total_cents: 4279,
        created_by: f.users.waiter.id,
      });
    });

    it('charges no service fee on takeaway and needs no table for it', async () => {
      const order = await openOrder(t, f, f.users.cashier, {
        type: 'takeaway',
        tableLabel: undefined,
      });

      expect(order).toMatchObject({ subtotalCents: 3890, serviceFeeCents: 0, totalCents: 3890 });
    });

    it('requires a table for dine-in', async () => {
      const response = await call(t, f.users.waiter, 'POST', '/api/v1/orders', {
        type: 'dine_in',
        items: [{ productId: f.products.soda, quantity: 1 }],
      });

      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'POS_ERR_VALIDATION',
        fields: [{ path: 'body/tableLabel' }],
      });
    });

    it('keeps notes exactly as typed', async () => {
      const notes = `O'Brien -- sem cebola; <b>extra</b> "queijo" 🧀`;
      const order = await openOrder(t, f, f.users.waiter, {
        items: [{ productId: f.products.soda, quantity: 1, notes }],
      });

      const stored = await db()
        .selectFrom('order_items')
        .select('notes')
        .where('order_id', '=', order.id)
        .executeTakeFirstOrThrow();
      expect(stored.notes).toBe(notes);
    });

    it('records order.create in the audit trail', async () => {
      const order = await openOrder(t, f);

      const entry = (
        await auditEntries(t, { restaurantId: f.restaurant.id, action: 'order.create' })
      ).find((e) => e.resource_id === order.id);
      expect(entry).toMatchObject({
        event_type: 'object_created',
        outcome: 'success',
        actor_id: f.users.waiter.id,
        resource_type: 'order',
      });
      expect(detailsOf(entry)).toMatchObject({
        number: order.number,
        itemCount: 2,
        totalCents: 4279,
      });
    });

    it('answers an unavailable, deleted or unknown product with POS_ERR_PRODUCT_UNAVAILABLE and stores nothing', async () => {
      const before = await db()
        .selectFrom('orders')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      for (const productId of [f.products.offMenu, f.products.deleted, 'no-such-product']) {
        const response = await call(t, f.users.waiter, 'POST', '/api/v1/orders', {
          type: 'takeaway',
          items: [
            { productId: f.products.soda, quantity: 1 },
            { productId, quantity: 1 },
          ],
        });

        expect(response.statusCode).toBe(409);
        expect(response.json()).toMatchObject({
          code: 'POS_ERR_PRODUCT_UNAVAILABLE',
          fields: [{ path: 'body/items/1/productId' }],
        });
      }
      const after = await db()
        .selectFrom('orders')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    });

    it('accepts a customer of the restaurant and refuses any other customer id', async () => {
      const order = await openOrder(t, f, f.users.cashier, {
        type: 'delivery',
        tableLabel: undefined,
        customerId: f.customerId,
      });
      expect(order).toMatchObject({ customerId: f.customerId });

      const unknown = await call(t, f.users.cashier, 'POST', '/api/v1/orders', {
        type: 'delivery',
        customerId: 'someone-else',
        items: [],
      });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json()).toMatchObject({
        code: 'POS_ERR_VALIDATION',
        fields: [{ path: 'body/customerId' }],
      });
    });

    it('takes tracked stock and refuses a product that ran out until a cancel returns it', async () => {
      const pudim = { productId: f.products.lastOne, quantity: 1 };
      const first = await openOrder(t, f, f.users.waiter, { items: [pudim] });
      expect(await stock(f.products.lastOne)).toBe(0);

      const refused = await call(t, f.users.waiter, 'POST', '/api/v1/orders', {
        type: 'takeaway',
        items: [pudim],
      });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().code).toBe('POS_ERR_PRODUCT_UNAVAILABLE');

      await call(t, f.users.manager, 'POST', `/api/v1/orders/${first.id}/cancel`, {
        reason: 'cliente desistiu',
      });
      expect(await stock(f.products.lastOne)).toBe(1);
      const again = await call(t, f.users.waiter, 'POST', '/api/v1/orders', {
        type: 'takeaway',
        items: [pudim],
      });
      expect(again.statusCode).toBe(201);
    });
  });

  describe('reading and listing', () => {
    it('reads one order with its items, and answers 404 for an unknown one', async () => {
      const order = await openOrder(t, f);

      const found = await call(t, f.users.kitchen, 'GET', `/api/v1/orders/${order.id}`);
      expect(found.statusCode).toBe(200);
      expect(found.json()).toEqual(order);

      const missing = await call(t, f.users.waiter, 'GET', '/api/v1/orders/nope');
      expect(missing.statusCode).toBe(404);
      expect(missing.json().code).toBe('POS_ERR_NOT_FOUND');
    });

    it('lists newest first through a cursor, every order exactly once', async () => {
      const fixture = await seedOrderFixture(t);
      const ids = [];
      for (let i = 0; i < 5; i += 1) {
        t.clock.advance(1000);
        ids.push((await openOrder(t, fixture)).id);
      }

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${cursor}` : '';
        const page = await call(t, fixture.users.manager, 'GET', `/api/v1/orders?limit=2${query}`);
        expect(page.statusCode).toBe(200);
        const body = page.json<{ items: { id: string }[]; nextCursor: string | null }>();
        expect(body.items.length).toBeLessThanOrEqual(2);
        seen.push(...body.items.map((item) => item.id));
        cursor = body.nextCursor;
      } while (cursor);

      expect(seen).toEqual([...ids].reverse());
    });

    it('bounds the page size and rejects a forged cursor', async () => {
      const tooMany = await call(t, f.users.manager, 'GET', '/api/v1/orders?limit=101');
      expect(tooMany.statusCode).toBe(400);
      expect(tooMany.json().code).toBe('POS_ERR_VALIDATION');

      const forged = await call(t, f.users.manager, 'GET', '/api/v1/orders?cursor=not-a-cursor');
      expect(forged.statusCode).toBe(400);
      expect(forged.json()).toMatchObject({
        code: 'POS_ERR_VALIDATION',
        fields: [{ path: 'querystring/cursor' }],
      });
    });

    it('shows a customer only their own orders', async () => {
      const theirs = await openOrder(t, f, f.users.cashier, {
        type: 'takeaway',
        tableLabel: undefined,
        customerId: f.customerId,
      });
      const someoneElses = await openOrder(t, f);

      const list = await call(t, f.users.customer, 'GET', '/api/v1/orders?limit=100');
      const ids = list
        .json<{ items: { id: string; customerId: string }[] }>()
        .items.map((o) => o.id);
      expect(ids).toContain(theirs.id);
      expect(ids).not.toContain(someoneElses.id);
      expect(
        list
          .json<{ items: { customerId: string }[] }>()
          .items.every((o) => o.customerId === f.customerId),
      ).toBe(true);

      expect(
        (await call(t, f.users.customer, 'GET', `/api/v1/orders/${theirs.id}`)).statusCode,
      ).toBe(200);
      const hidden = await call(t, f.users.customer, 'GET', `/api/v1/orders/${someoneElses.id}`);
      expect(hidden.statusCode).toBe(404);
      expect(hidden.json().code).toBe('POS_ERR_NOT_FOUND');
    });

    it('shows a customer login linked to no customer record no order, walk-in orders included', async () => {
      const walkIn = await openOrder(t, f);
      const unlinked = await signIn(t, f.restaurant, 'customer');

      const read = await call(t, unlinked, 'GET', `/api/v1/orders/${walkIn.id}`);
      expect(read.statusCode).toBe(404);
      expect(read.json().code).toBe('POS_ERR_NOT_FOUND');
      const list = await call(t, unlinked, 'GET', '/api/v1/orders?limit=100');
      expect(list.json<{ items: unknown[] }>().items).toEqual([]);
    });
  });

  describe('items', () => {
    it('adds items to a live order and recomputes the totals', async () => {
      const order = await openOrder(t, f);
      await call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/send`);

      const response = await call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/items`, {
        items: [{ productId: f.products.burger, quantity: 2, notes: 'ao ponto' }],
      });

      expect(response.statusCode).toBe(201);
      const body = response.json<OrderBody>();
      expect(body.items.map((i) => i.status)).toEqual(['sent', 'sent', 'pending']);
      expect(body).toMatchObject({
        status: 'in_kitchen',
        subtotalCents: 3890 + 5180,
        serviceFeeCents: 907,
        totalCents: 9977,
      });
    });

    it('takes off an unsent item for any order.update holder, keeping it as voided', async () => {
      const order = await openOrder(t, f);

      const response = await call(
        t,
        f.users.waiter,
        'DELETE',
        `/api/v1/orders/${order.id}/items/${order.items[1]?.id}`,
      );

      expect(response.statusCode).toBe(200);
      expect(response.json<OrderBody>()).toMatchObject({
        subtotalCents: 2590,
        serviceFeeCents: 259,
        totalCents: 2849,
      });
      const item = await db()
        .selectFrom('order_items')
        .selectAll()
        .where('id', '=', order.items[1]?.id ?? '')
        .executeTakeFirstOrThrow();
      expect(item).toMatchObject({ status: 'voided', voided_by: f.users.waiter.id });
      const entry = (
        await auditEntries(t, { restaurantId: f.restaurant.id, action: 'order.void_item' })
      ).at(-1);
      expect(detailsOf(entry)).toMatchObject({
        itemId: item.id,
        sentToKitchen: false,
        approvedBy: null,
      });
    });

    it('voids an item the kitchen has only with a manager approval bound to it', async () => {
      const order = await openOrder(t, f);
      await call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/send`);
      const burger = order.items[0]?.id ?? '';
      const url = `/api/v1/orders/${order.id}/items/${burger}`;

      const alone = await call(t, f.users.waiter, 'DELETE', url, { reason: 'errou o pedido' });
      expect(alone.statusCode).toBe(403);
      expect(alone.json().code).toBe('POS_ERR_APPROVAL_INVALID');
      expect((await storedOrder(t, order.id))?.total_cents).toBe(4279);

      const forOtherItem = await managerApproval(
        t,
        f,
        f.users.waiter,
        'void',
        order.items[1]?.id ?? '',
        2590,
      );
      const wrong = await call(t, f.users.waiter, 'DELETE', url, { approvalToken: forOtherItem });
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json().code).toBe('POS_ERR_APPROVAL_INVALID');

      const tooSmall = await managerApproval(t, f, f.users.waiter, 'void', burger, 2589);
      expect(
        (await call(t, f.users.waiter, 'DELETE', url, { approvalToken: tooSmall })).json().code,
      ).toBe('POS_ERR_APPROVAL_INVALID');

      const approval = await managerApproval(t, f, f.users.waiter, 'void', burger, 2590);
      const voided = await call(t, f.users.waiter, 'DELETE', url, {
        reason: 'errou o pedido',
        approvalToken: approval,
      });
      expect(voided.statusCode).toBe(200);
      expect(voided.json<OrderBody>()).toMatchObject({ subtotalCents: 1300, totalCents: 1430 });

      const entry = (
        await auditEntries(t, { restaurantId: f.restaurant.id, action: 'order.void_item' })
      ).at(-1);
      expect(entry).toMatchObject({ event_type: 'data_modification', actor_id: f.users.waiter.id });
      expect(entry?.risk_score).toBeGreaterThanOrEqual(5);
      expect(detailsOf(entry)).toMatchObject({
        itemId: burger,
        sentToKitchen: true,
        approvedBy: f.users.manager.id,
        lineTotalCents: 2590,
      });

      const replay = await call(
        t,
        f.users.waiter,
        'DELETE',
        `/api/v1/orders/${order.id}/items/${order.items[1]?.id}`,
        { approvalToken: approval },
      );
      expect(replay.statusCode).toBe(403);
      expect(replay.json().code).toBe('POS_ERR_APPROVAL_INVALID');
    });

    it('lets a manager void a sent item without an approval, but not twice', async () => {
      const order = await openOrder(t, f);
      await call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/send`);
      const url = `/api/v1/orders/${order.id}/items/${order.items[0]?.id}`;

      expect((await call(t, f.users.manager, 'DELETE', url)).statusCode).toBe(200);
      const again = await call(t, f.users.manager, 'DELETE', url);
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('POS_ERR_CONFLICT');
    });

    it('answers 404 for an item of another order', async () => {
      const a = await openOrder(t, f);
      const b = await openOrder(t, f);

      const response = await call(
        t,
        f.users.waiter,
        'DELETE',
        `/api/v1/orders/${a.id}/items/${b.items[0]?.id}`,
      );

      expect(response.statusCode).toBe(404);
      expect(
        (
          await db()
            .selectFrom('order_items')
            .select('status')
            .where('id', '=', b.items[0]?.id ?? '')
            .executeTakeFirstOrThrow()
        ).status,
      ).toBe('pending');
    });
  });

  describe('discounts', () => {
    it('lets staff discount up to the configured 10% alone', async () => {
      const order = await openOrder(t, f);

      const response = await call(t, f.users.waiter, 'PATCH', `/api/v1/orders/${order.id}`, {
        discountCents: 389,
      });

      expect(response.statusCode).toBe(200);
      // (3890 − 389) × 10% = 350.1 → 350.
      expect(response.json<OrderBody>()).toMatchObject({
        discountCents: 389,
        serviceFeeCents: 350,
        totalCents: 3851,
      });
      const entry = (
        await auditEntries(t, { restaurantId: f.restaurant.id, action: 'order.discount' })
      ).at(-1);
      expect(detailsOf(entry)).toMatchObject({
        fromCents: 0,
        toCents: 389,
        limitCents: 389,
        approvedBy: null,
      });
    });

    it('needs a manager approval for the amount above the limit', async () => {
      const order = await openOrder(t, f);
      const url = `/api/v1/orders/${order.id}`;

      const alone = await call(t, f.users.cashier, 'PATCH', url, { discountCents: 390 });
      expect(alone.statusCode).toBe(403);
      expect(alone.json().code).toBe('POS_ERR_APPROVAL_INVALID');
      expect((await storedOrder(t, order.id))?.discount_cents).toBe(0);

      const smaller = await managerApproval(t, f, f.users.cashier, 'discount', order.id, 500);
      expect(
        (
          await call(t, f.users.cashier, 'PATCH', url, {
            discountCents: 1000,
            approvalToken: smaller,
          })
        ).statusCode,
      ).toBe(403);

      const approval = await managerApproval(t, f, f.users.cashier, 'discount', order.id, 1000);
      const granted = await call(t, f.users.cashier, 'PATCH', url, {
        discountCents: 1000,
        approvalToken: approval,
      });
      expect(granted.statusCode).toBe(200);
      expect(granted.json<OrderBody>().discountCents).toBe(1000);
      const entry = (
        await auditEntries(t, { restaurantId: f.restaurant.id, action: 'order.discount' })
      ).at(-1);
      expect(detailsOf(entry)).toMatchObject({
        toCents: 1000,
        approvedBy: f.users.manager.id,
      });
    });

    it('lets managers give any discount up to the subtotal, and no more', async () => {
      const order = await openOrder(t, f);
      const url = `/api/v1/orders/${order.id}`;

      const whole = await call(t, f.users.manager, 'PATCH', url, { discountCents: 3890 });
      expect(whole.statusCode).toBe(200);
      expect(whole.json<OrderBody>()).toMatchObject({ totalCents: 0, serviceFeeCents: 0 });

      const more = await call(t, f.users.manager, 'PATCH', url, { discountCents: 3891 });
      expect(more.statusCode).toBe(400);
      expect(more.json()).toMatchObject({
        code: 'POS_ERR_VALIDATION',
        fields: [{ path: 'body/discountCents' }],
      });
    });

    it('changes the table without touching the money', async () => {
      const order = await openOrder(t, f);

      const response = await call(t, f.users.waiter, 'PATCH', `/api/v1/orders/${order.id}`, {
        tableLabel: 'Mesa 9',
      });

      expect(response.json()).toMatchObject({ tableLabel: 'Mesa 9', totalCents: 4279 });
      expect(
        (await auditEntries(t, { restaurantId: f.restaurant.id, action: 'order.update' })).at(-1)
          ?.resource_id,
      ).toBe(order.id);
    });
  });

  describe('sending, cancelling, deleting', () => {
    it('sends the unsent items on a kitchen ticket and refuses an empty send', async () => {
      const order = await openOrder(t, f);

      const sent = await call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/send`);
      expect(sent.statusCode).toBe(200);
      expect(sent.json<OrderBody>()).toMatchObject({ status: 'in_kitchen' });
      const tickets = await db()
        .selectFrom('kitchen_tickets')
        .selectAll()
        .where('order_id', '=', order.id)
        .execute();
      expect(tickets).toHaveLength(1);
      expect(tickets[0]).toMatchObject({
        status: 'queued',
        order_number: order.number,
        table_label: 'Mesa 4',
      });

      const empty = await call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/send`);
      expect(empty.statusCode).toBe(409);
      expect(empty.json().code).toBe('POS_ERR_CONFLICT');
    });

    it('cancels with a reason, withdraws the tickets and refuses a second cancel', async () => {
      const order = await openOrder(t, f);
      await call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/send`);

      const noReason = await call(
        t,
        f.users.manager,
        'POST',
        `/api/v1/orders/${order.id}/cancel`,
        {},
      );
      expect(noReason.statusCode).toBe(400);

      const cancelled = await call(
        t,
        f.users.manager,
        'POST',
        `/api/v1/orders/${order.id}/cancel`,
        { reason: 'mesa foi embora' },
      );
      expect(cancelled.statusCode).toBe(200);
      expect(cancelled.json()).toMatchObject({
        status: 'cancelled',
        cancelReason: 'mesa foi embora',
      });
      const ticket = await db()
        .selectFrom('kitchen_tickets')
        .select('status')
        .where('order_id', '=', order.id)
        .executeTakeFirstOrThrow();
      expect(ticket.status).toBe('cancelled');
      const entry = (
        await auditEntries(t, { restaurantId: f.restaurant.id, action: 'order.cancel' })
      ).at(-1);
      expect(entry).toMatchObject({
        resource_id: order.id,
        actor_id: f.users.manager.id,
        event_type: 'data_modification',
      });

      const again = await call(t, f.users.manager, 'POST', `/api/v1/orders/${order.id}/cancel`, {
        reason: 'de novo',
      });
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('POS_ERR_INVALID_TRANSITION');
    });

    it('refuses to cancel an order with captured payments', async () => {
      const order = await openOrder(t, f);
      await db()
        .updateTable('orders')
        .set({ paid_cents: 1000 })
        .where('id', '=', order.id)
        .execute();

      const response = await call(t, f.users.manager, 'POST', `/api/v1/orders/${order.id}/cancel`, {
        reason: 'x',
      });

      expect(response.statusCode).toBe(409);
      expect(response.json().code).toBe('POS_ERR_ORDER_HAS_PAYMENTS');
      expect((await storedOrder(t, order.id))?.status).toBe('open');
    });

    it('refuses every change to a paid or cancelled order with POS_ERR_ORDER_CLOSED', async () => {
      const paid = await openOrder(t, f);
      await db()
        .updateTable('orders')
        .set({ status: 'paid', paid_cents: 4279 })
        .where('id', '=', paid.id)
        .execute();
      const cancelled = await openOrder(t, f);
      await call(t, f.users.manager, 'POST', `/api/v1/orders/${cancelled.id}/cancel`, {
        reason: 'x',
      });

      for (const order of [paid, cancelled]) {
        const attempts = [
          call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/items`, {
            items: [{ productId: f.products.soda, quantity: 1 }],
          }),
          call(
            t,
            f.users.waiter,
            'DELETE',
            `/api/v1/orders/${order.id}/items/${order.items[0]?.id}`,
          ),
          call(t, f.users.manager, 'PATCH', `/api/v1/orders/${order.id}`, { discountCents: 10 }),
          call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/send`),
        ];
        for (const response of await Promise.all(attempts)) {
          expect(response.statusCode).toBe(409);
          expect(response.json().code).toBe('POS_ERR_ORDER_CLOSED');
        }
      }
      const cancelPaid = await call(
        t,
        f.users.manager,
        'POST',
        `/api/v1/orders/${paid.id}/cancel`,
        { reason: 'x' },
      );
      expect(cancelPaid.json().code).toBe('POS_ERR_INVALID_TRANSITION');
      expect((await storedOrder(t, paid.id))?.total_cents).toBe(4279);
    });

    it('deletes softly: the row stays, lists and lookups lose it', async () => {
      const order = await openOrder(t, f);

      const deleted = await call(t, f.users.admin, 'DELETE', `/api/v1/orders/${order.id}`);
      expect(deleted.statusCode).toBe(204);

      expect(await storedOrder(t, order.id)).toMatchObject({ deleted_by: f.users.admin.id });
      expect((await call(t, f.users.admin, 'GET', `/api/v1/orders/${order.id}`)).statusCode).toBe(
        404,
      );
      const listed = await call(t, f.users.admin, 'GET', '/api/v1/orders?limit=100');
      expect(listed.json<{ items: { id: string }[] }>().items.map((o) => o.id)).not.toContain(
        order.id,
      );
      const entry = (
        await auditEntries(t, { restaurantId: f.restaurant.id, action: 'order.delete' })
      ).at(-1);
      expect(entry).toMatchObject({
        event_type: 'object_deleted',
        resource_id: order.id,
        actor_id: f.users.admin.id,
      });
    });

    it('refuses to delete an order that ever had a payment', async () => {
      const order = await openOrder(t, f);
      const now = t.clock.now().toISOString();
      await db()
        .insertInto('payments')
        .values({
          id: t.context.ids(),
          restaurant_id: f.restaurant.id,
          order_id: order.id,
          method: 'pix',
          status: 'cancelled',
          amount_cents: 4279,
          refunded_cents: 0,
          tendered_cents: null,
          change_cents: null,
          cashier_session_id: null,
          card_entry: null,
          card_brand: null,
          card_last4: null,
          card_masked: null,
          authorization_code: null,
          nsu: null,
          pan_encrypted: null,
          pan_hash: null,
          voucher_provider: null,
          pix_txid: null,
          pix_payload: null,
          created_by: f.users.cashier.id,
          created_at: now,
          captured_at: null,
          captured_by: null,
          cancelled_at: now,
          updated_at: now,
        })
        .execute();

      const response = await call(t, f.users.admin, 'DELETE', `/api/v1/orders/${order.id}`);

      expect(response.statusCode).toBe(409);
      expect(response.json().code).toBe('POS_ERR_ORDER_HAS_PAYMENTS');
      expect((await storedOrder(t, order.id))?.deleted_at).toBeNull();
    });
  });

  // These move the clock by hours, so every earlier token has expired after them: they run last
  // and sign in their own users once the clock is where they need it.
  describe('over time', () => {
    it('numbers orders per restaurant and business day in the restaurant time zone', async () => {
      // São Paulo is UTC−3: its business day turns at 03:00 UTC.
      t.clock.set('2026-01-17T02:50:00.000Z');
      const other = await seedOrderFixture(t);
      const a = await openOrder(t, other);
      const b = await openOrder(t, other);
      t.clock.set('2026-01-17T02:59:50.000Z');
      const c = await openOrder(t, other);
      t.clock.set('2026-01-17T03:00:10.000Z');
      const d = await openOrder(t, other);
      const elsewhere = await openOrder(t, await seedOrderFixture(t));

      expect([a.number, b.number, c.number, d.number]).toEqual([1, 2, 3, 1]);
      expect(elsewhere.number).toBe(1);
      expect((await storedOrder(t, c.id))?.business_date).toBe('2026-01-16');
      expect((await storedOrder(t, d.id))?.business_date).toBe('2026-01-17');
    });

    it('filters by status, type and creation time', async () => {
      t.clock.set('2026-02-01T12:00:00.000Z');
      const fixture = await seedOrderFixture(t);
      const early = await openOrder(t, fixture, fixture.users.waiter, {
        type: 'takeaway',
        tableLabel: undefined,
      });
      t.clock.set('2026-02-01T12:10:00.000Z');
      const late = await openOrder(t, fixture);
      await call(t, fixture.users.waiter, 'POST', `/api/v1/orders/${late.id}/send`);

      const list = async (query: string) =>
        (await call(t, fixture.users.manager, 'GET', `/api/v1/orders?${query}`))
          .json<{ items: { id: string }[] }>()
          .items.map((o) => o.id);

      expect(await list('status=in_kitchen')).toEqual([late.id]);
      expect(await list('type=takeaway')).toEqual([early.id]);
      expect(await list('from=2026-02-01T12:05:00Z')).toEqual([late.id]);
      expect(await list('to=2026-02-01T12:05:00Z')).toEqual([early.id]);
      expect(await list('from=2026-02-01T09:05:00-03:00')).toEqual([late.id]);
    });
  });
});
