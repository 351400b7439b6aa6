import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TestApp } from '../../../test/helpers/app.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import {
  buildOrdersTestApp,
  call,
  openOrder,
  seedOrderFixture,
  storedOrder,
  type OrderFixture,
} from '../orders/orders.test-helpers.js';
import type { TicketView } from './events.js';

interface TicketPageBody {
  items: TicketView[];
  nextCursor: string | null;
  lastEventId: string;
}

describe.each(testDialects())('kitchen display (%s)', (dialect) => {
  let t: TestApp;
  let f: OrderFixture;

  beforeAll(async () => {
    t = await buildOrdersTestApp({ dialect });
    f = await seedOrderFixture(t);
  });
  afterAll(() => t.close());

  const db = () => t.context.database.kysely;
  const send = async (orderId: string) => {
    const response = await call(t, f.users.waiter, 'POST', `/api/v1/orders/${orderId}/send`);
    expect(response.statusCode).toBe(200);
  };
  const ticketsOf = (orderId: string) =>
    db()
      .selectFrom('kitchen_tickets')
      .selectAll()
      .where('order_id', '=', orderId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  const move = (ticketId: string, status: string, user = f.users.kitchen) =>
    call(t, user, 'PATCH', `/api/v1/kds/tickets/${ticketId}`, { status });
  const events = () =>
    db()
      .selectFrom('kds_events')
      .selectAll()
      .where('restaurant_id', '=', f.restaurant.id)
      .orderBy('seq')
      .execute();

  it('shows a sent order as a ticket: what to cook, never prices', async () => {
    const order = await openOrder(t, f);
    await send(order.id);

    const page = await call(t, f.users.kitchen, 'GET', '/api/v1/kds/tickets?limit=100');

    expect(page.statusCode).toBe(200);
    const ticket = page.json<TicketPageBody>().items.find((item) => item.orderId === order.id);
    expect(ticket).toMatchObject({
      orderNumber: order.number,
      orderType: 'dine_in',
      tableLabel: 'Mesa 4',
      status: 'queued',
      items: [
        { productName: 'X-Burguer', quantity: 1, notes: 'sem cebola', voided: false },
        { productName: 'Guaraná', quantity: 2, notes: null, voided: false },
      ],
    });
    expect(JSON.stringify(ticket)).not.toMatch(/Cents/);
  });

  it('moves the order to ready when every ticket is ready, and to served likewise', async () => {
    const order = await openOrder(t, f);
    await send(order.id);
    await call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/items`, {
      items: [{ productId: f.products.soda, quantity: 1 }],
    });
    await send(order.id);
    const [first, second] = await ticketsOf(order.id);
    if (!first || !second) throw new Error('two tickets expected');

    for (const status of ['preparing', 'ready']) {
      expect((await move(first.id, status)).statusCode).toBe(200);
    }
    expect((await storedOrder(t, order.id))?.status).toBe('in_kitchen');

    await move(second.id, 'preparing');
    await move(second.id, 'ready');
    expect((await storedOrder(t, order.id))?.status).toBe('ready');

    // A waiter serves the first plate, the kitchen bumps the second off its screen.
    expect((await move(first.id, 'served', f.users.waiter)).statusCode).toBe(200);
    expect((await storedOrder(t, order.id))?.status).toBe('ready');
    expect((await move(second.id, 'bumped')).statusCode).toBe(200);
    expect((await storedOrder(t, order.id))?.status).toBe('served');
  });

  it('sends a new round back to the kitchen from served', async () => {
    const order = await openOrder(t, f);
    await send(order.id);
    const [ticket] = await ticketsOf(order.id);
    for (const status of ['preparing', 'ready', 'served']) await move(ticket?.id ?? '', status);
    expect((await storedOrder(t, order.id))?.status).toBe('served');

    await call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/items`, {
      items: [{ productId: f.products.burger, quantity: 1 }],
    });
    await send(order.id);

    expect((await storedOrder(t, order.id))?.status).toBe('in_kitchen');
  });

  it('keeps a paid order paid while its tickets are finished', async () => {
    const order = await openOrder(t, f, f.users.cashier, {
      type: 'takeaway',
      tableLabel: undefined,
    });
    await send(order.id);
    await db()
      .updateTable('orders')
      .set({ status: 'paid', paid_cents: order.totalCents })
      .where('id', '=', order.id)
      .execute();
    const [ticket] = await ticketsOf(order.id);

    for (const status of ['preparing', 'ready', 'bumped']) {
      expect((await move(ticket?.id ?? '', status)).statusCode).toBe(200);
    }
    expect((await storedOrder(t, order.id))?.status).toBe('paid');
  });

  it('writes one numbered event per change and audits every move', async () => {
    const order = await openOrder(t, f);
    const before = (await events()).at(-1)?.seq ?? 0;
    await send(order.id);
    const [ticket] = await ticketsOf(order.id);
    await move(ticket?.id ?? '', 'preparing');

    const written = (await events()).filter((event) => event.seq > before);
    expect(written.map((e) => [Number(e.seq), e.type])).toEqual([
      [Number(before) + 1, 'ticket.created'],
      [Number(before) + 2, 'ticket.updated'],
    ]);
    expect(JSON.parse(written[1]?.payload ?? '{}')).toMatchObject({
      id: ticket?.id,
      status: 'preparing',
    });

    const audit = (
      await auditEntries(t, { restaurantId: f.restaurant.id, action: 'kds.ticket_move' })
    ).at(-1);
    expect(audit).toMatchObject({
      event_type: 'data_modification',
      resource_type: 'kitchen_ticket',
      resource_id: ticket?.id,
      actor_id: f.users.kitchen.id,
    });
    expect(detailsOf(audit)).toMatchObject({
      orderId: order.id,
      from: 'queued',
      to: 'preparing',
    });
  });

  it('strikes a voided item out on its ticket and withdraws the tickets of a cancelled order', async () => {
    const order = await openOrder(t, f);
    await send(order.id);
    const [ticket] = await ticketsOf(order.id);
    const before = (await events()).at(-1)?.seq ?? 0;

    await call(
      t,
      f.users.manager,
      'DELETE',
      `/api/v1/orders/${order.id}/items/${order.items[0]?.id}`,
    );
    await call(t, f.users.manager, 'POST', `/api/v1/orders/${order.id}/cancel`, { reason: 'x' });

    const written = (await events()).filter((event) => event.seq > before);
    expect(written.map((e) => e.type)).toEqual(['ticket.updated', 'ticket.cancelled']);
    const struck = JSON.parse(written[0]?.payload ?? '{}') as TicketView;
    expect(struck.items.map((item) => item.voided)).toEqual([true, false]);
    expect((await ticketsOf(order.id))[0]?.status).toBe('cancelled');
    expect((await move(ticket?.id ?? '', 'preparing')).json().code).toBe(
      'POS_ERR_INVALID_TRANSITION',
    );
  });

  it('lists the tickets on screen oldest first through a cursor, or those of one status', async () => {
    const fixture = await seedOrderFixture(t);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      t.clock.advance(1000);
      const order = await openOrder(t, fixture);
      await call(t, fixture.users.waiter, 'POST', `/api/v1/orders/${order.id}/send`);
      ids.push((await ticketsOf(order.id))[0]?.id ?? '');
    }
    await call(t, fixture.users.kitchen, 'PATCH', `/api/v1/kds/tickets/${ids[0]}`, {
      status: 'preparing',
    });

    const first = await call(t, fixture.users.kitchen, 'GET', '/api/v1/kds/tickets?limit=2');
    const firstBody = first.json<TicketPageBody>();
    expect(firstBody.items.map((i) => i.id)).toEqual(ids.slice(0, 2));
    expect(firstBody.lastEventId).toBe('4');
    const second = await call(
      t,
      fixture.users.kitchen,
      'GET',
      `/api/v1/kds/tickets?limit=2&cursor=${firstBody.nextCursor}`,
    );
    expect(second.json<TicketPageBody>()).toMatchObject({
      items: [{ id: ids[2] }],
      nextCursor: null,
    });

    const queued = await call(t, fixture.users.kitchen, 'GET', '/api/v1/kds/tickets?status=queued');
    expect(queued.json<TicketPageBody>().items.map((i) => i.id)).toEqual(ids.slice(1));
  });
});
