import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TestApp } from '../../../test/helpers/app.js';
import { signIn } from '../../../test/helpers/auth.js';
import { redisAvailable, testDialects } from '../../../test/helpers/database.js';
import {
  buildOrdersTestApp,
  call,
  openOrder,
  seedOrderFixture,
  type OrderFixture,
} from '../orders/orders.test-helpers.js';
import type { TicketView } from './events.js';
import { connectSse, type SseConnection } from './sse-client.test-helpers.js';

/** A test app listening on a real loopback port: streams cannot be read through inject. */
async function listen(t: TestApp): Promise<string> {
  return t.app.listen({ host: '127.0.0.1', port: 0 });
}

describe.each(testDialects())('kitchen stream (%s)', (dialect) => {
  let t: TestApp;
  let f: OrderFixture;
  let origin: string;
  const open: SseConnection[] = [];

  beforeAll(async () => {
    t = await buildOrdersTestApp({ dialect });
    f = await seedOrderFixture(t);
    origin = await listen(t);
  });
  afterAll(async () => {
    for (const connection of open) connection.close();
    await t.close();
  });

  const connect = async (headers: Record<string, string>, path = '/api/v1/kds/stream') => {
    const connection = await connectSse(`${origin}${path}`, headers);
    open.push(connection);
    return connection;
  };
  const sendNewOrder = async () => {
    const order = await openOrder(t, f);
    await call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/send`);
    return order;
  };
  const ticketIdOf = async (orderId: string) =>
    (
      await t.context.database.kysely
        .selectFrom('kitchen_tickets')
        .select('id')
        .where('order_id', '=', orderId)
        .executeTakeFirstOrThrow()
    ).id;

  it('answers with an uncached event stream that proxies must not buffer', async () => {
    const stream = await connect(f.users.kitchen.headers);

    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['cache-control']).toBe('no-store');
    expect(stream.headers['x-accel-buffering']).toBe('no');
    expect(stream.headers['x-request-id']).toEqual(expect.any(String));
    expect(stream.headers['x-content-type-options']).toBe('nosniff');
    stream.close();
  });

  it('opens for every staff role', async () => {
    for (const role of ['admin', 'manager', 'cashier', 'waiter', 'kitchen'] as const) {
      const stream = await connect(f.users[role].headers);
      expect(stream.status, role).toBe(200);
      stream.close();
    }
  });

  it('caps the streams one user holds open', async () => {
    const screen = await signIn(t, f.restaurant, 'kitchen');
    const streams = [];
    for (let i = 0; i < 5; i += 1) streams.push(await connect(screen.headers));
    expect(streams.map((stream) => stream.status)).toEqual([200, 200, 200, 200, 200]);

    const sixth = await connect(screen.headers);
    await sixth.ended();
    expect(sixth.status).toBe(429);
    expect(JSON.parse(sixth.body())).toMatchObject({ code: 'POS_ERR_RATE_LIMITED' });
    for (const stream of streams) stream.close();
  });

  it('refuses a stream without a token, with the token in the URL, and to a customer', async () => {
    const anonymous = await connect({});
    await anonymous.ended();
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body())).toMatchObject({ code: 'POS_ERR_UNAUTHENTICATED' });

    const inUrl = await connect(
      {},
      `/api/v1/kds/stream?access_token=${f.users.kitchen.accessToken}`,
    );
    await inUrl.ended();
    expect(inUrl.status).toBe(401);

    const customer = await connect(f.users.customer.headers);
    await customer.ended();
    expect(customer.status).toBe(403);
    expect(JSON.parse(customer.body())).toMatchObject({ code: 'POS_ERR_FORBIDDEN' });
  });

  it('rejects a Last-Event-ID that is not an event number', async () => {
    const stream = await connect({ ...f.users.kitchen.headers, 'last-event-id': '12; DROP' });
    await stream.ended();

    expect(stream.status).toBe(400);
    expect(JSON.parse(stream.body())).toMatchObject({
      code: 'POS_ERR_VALIDATION',
      fields: [{ path: 'headers/last-event-id' }],
    });
  });

  it('delivers a change live, with its event number as the id', async () => {
    const snapshot = await call(t, f.users.kitchen, 'GET', '/api/v1/kds/tickets');
    const lastEventId = Number(snapshot.json<{ lastEventId: string }>().lastEventId);
    const stream = await connect(f.users.kitchen.headers);

    const order = await sendNewOrder();

    const [event] = await stream.waitForEvents(1);
    expect(event).toMatchObject({ id: String(lastEventId + 1), event: 'ticket.created' });
    expect(JSON.parse(event?.data ?? '{}')).toMatchObject({ orderId: order.id, status: 'queued' });
    stream.close();
  });

  it('gives a display that reconnects with Last-Event-ID exactly the events it missed, in order', async () => {
    const first = await connect(f.users.kitchen.headers);
    const order = await sendNewOrder();
    const [seen] = await first.waitForEvents(1);
    first.close();

    // While the display is away: two moves and a new order.
    const ticketId = await ticketIdOf(order.id);
    await call(t, f.users.kitchen, 'PATCH', `/api/v1/kds/tickets/${ticketId}`, {
      status: 'preparing',
    });
    await call(t, f.users.kitchen, 'PATCH', `/api/v1/kds/tickets/${ticketId}`, { status: 'ready' });
    const next = await sendNewOrder();

    const again = await connect({ ...f.users.kitchen.headers, 'last-event-id': seen?.id ?? '' });
    const missed = await again.waitForEvents(3);
    const base = Number(seen?.id);
    expect(missed.map((e) => [Number(e.id), e.event])).toEqual([
      [base + 1, 'ticket.updated'],
      [base + 2, 'ticket.updated'],
      [base + 3, 'ticket.created'],
    ]);
    expect(missed.map((e) => (JSON.parse(e.data) as TicketView).status)).toEqual([
      'preparing',
      'ready',
      'queued',
    ]);
    expect((JSON.parse(missed[2]?.data ?? '{}') as TicketView).orderId).toBe(next.id);

    // And then the live ones, with no repeat of what was replayed.
    await call(t, f.users.waiter, 'PATCH', `/api/v1/kds/tickets/${ticketId}`, { status: 'served' });
    const all = await again.waitForEvents(4);
    expect(all.map((e) => Number(e.id))).toEqual([base + 1, base + 2, base + 3, base + 4]);
    again.close();
  });

  it('keeps a note that looks like stream framing inside one JSON data line', async () => {
    const stream = await connect(f.users.kitchen.headers);
    const notes = 'sem cebola\n\nevent: ticket.cancelled\ndata: {"forged":true}\r\n';

    const order = await openOrder(t, f, f.users.waiter, {
      items: [{ productId: f.products.soda, quantity: 1, notes }],
    });
    await call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/send`);

    const [event] = await stream.waitForEvents(1);
    expect(event?.event).toBe('ticket.created');
    expect((JSON.parse(event?.data ?? '{}') as TicketView).items[0]?.notes).toBe(notes);
    stream.close();
  });

  it('never streams another restaurant events', async () => {
    const neighbour = await seedOrderFixture(t);
    const theirs = await connect(neighbour.users.kitchen.headers);
    const ours = await connect(f.users.kitchen.headers);

    await sendNewOrder();

    await ours.waitForEvents(1);
    // Our event has been published by now; a leak would already be in the neighbour's stream.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(theirs.events).toEqual([]);
    theirs.close();
    ours.close();
  });
});

const redisDialects = redisAvailable() ? testDialects() : [];

describe.each(redisDialects)('kitchen stream across processes through Redis (%s)', (dialect) => {
  let a: TestApp;
  let b: TestApp;
  let f: OrderFixture;
  let originB: string;

  beforeAll(async () => {
    a = await buildOrdersTestApp({ dialect, redis: true });
    b = await buildOrdersTestApp({ redis: true, sameDatabaseAs: a, clock: a.clock });
    f = await seedOrderFixture(a);
    originB = await listen(b);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('delivers an event raised in app A to a stream held on app B within the heartbeat', async () => {
    const stream = await connectSse(`${originB}/api/v1/kds/stream`, f.users.kitchen.headers);
    expect(stream.status).toBe(200);

    const order = await openOrder(a, f);
    await call(a, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/send`);

    // Well under the 15 s heartbeat, whose catch-up would also deliver it: this is Redis.
    const [event] = await stream.waitForEvents(1, 3_000);
    expect(event?.event).toBe('ticket.created');
    expect((JSON.parse(event?.data ?? '{}') as TicketView).orderId).toBe(order.id);
    stream.close();
  });
});
