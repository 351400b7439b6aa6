import path from 'node:path';

import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type { TestApp } from '../../../test/helpers/app.js';
import { signIn } from '../../../test/helpers/auth.js';
import { ChangeTracker, tablesWrittenBy } from '../../infra/db/change-tracker.js';
import { SQLITE_FILE_NAME } from '../../infra/db/database.js';
import type { Principal } from '../../security/authz/principal.js';
import { OrdersRepository } from './repository.js';
import {
  buildOrdersTestApp,
  call,
  openOrder,
  seedOrderFixture,
  type OrderFixture,
} from './orders.test-helpers.js';
import { OrderViewCache } from './view-cache.js';
import type { OrderView } from './views.js';

const nextLoopTurn = () => new Promise((resolve) => setImmediate(resolve));

// The cache exists on the embedded database only; PostgreSQL reads every time.
describe('order views kept in memory (sqlite)', () => {
  let t: TestApp;
  let f: OrderFixture;

  beforeAll(async () => {
    t = await buildOrdersTestApp();
    f = await seedOrderFixture(t);
  });
  afterAll(() => t.close());

  const read = async (orderId: string, user = f.users.waiter) => {
    const response = await call(t, user, 'GET', `/api/v1/orders/${orderId}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    return response.json<OrderView>();
  };

  it('answers a repeated read from memory, with the body the database read gave', async () => {
    const order = await openOrder(t, f);
    const lookups = vi.spyOn(OrdersRepository.prototype, 'findById');
    try {
      const first = await read(order.id);
      const again = await read(order.id, f.users.kitchen);

      expect(first).toEqual(order);
      expect(again).toEqual(order);
      expect(lookups).toHaveBeenCalledTimes(1);
    } finally {
      lookups.mockRestore();
    }
  });

  it('answers every read after a change with the order that change answered', async () => {
    const order = await openOrder(t, f);
    await read(order.id);

    const changes: [string, () => ReturnType<typeof call>][] = [
      [
        'add items',
        () =>
          call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/items`, {
            items: [{ productId: f.products.burger, quantity: 2 }],
          }),
      ],
      ['send', () => call(t, f.users.waiter, 'POST', `/api/v1/orders/${order.id}/send`)],
      [
        'discount',
        () =>
          call(t, f.users.manager, 'PATCH', `/api/v1/orders/${order.id}`, { discountCents: 100 }),
      ],
      [
        'cancel',
        () =>
          call(t, f.users.manager, 'POST', `/api/v1/orders/${order.id}/cancel`, {
            reason: 'mesa foi embora',
          }),
      ],
    ];
    for (const [name, change] of changes) {
      const response = await change();
      expect(response.statusCode, name).toBeLessThan(300);
      expect(await read(order.id), name).toEqual(response.json<OrderView>());
    }
    expect((await read(order.id)).status).toBe('cancelled');
  });

  it('sees a write that no order route made', async () => {
    const order = await openOrder(t, f);
    await read(order.id);

    await t.context.database.kysely
      .updateTable('order_items')
      .set({ notes: 'sem gelo' })
      .where('order_id', '=', order.id)
      .execute();

    expect((await read(order.id)).items.map((item) => item.notes)).toEqual([
      'sem gelo',
      'sem gelo',
    ]);
  });

  it('sees a commit by another connection to the file, such as a chefia command', async () => {
    const order = await openOrder(t, f);
    await read(order.id);

    const other = new SQLite(path.join(t.dataDir, SQLITE_FILE_NAME));
    try {
      other.prepare('UPDATE orders SET table_label = ? WHERE id = ?').run('Mesa 9', order.id);
    } finally {
      other.close();
    }
    // Another process's commit is looked for once per event-loop turn.
    await nextLoopTurn();

    expect((await read(order.id)).tableLabel).toBe('Mesa 9');
  });

  it('sees an order deleted softly as gone', async () => {
    const order = await openOrder(t, f);
    await read(order.id);

    const deleted = await call(t, f.users.admin, 'DELETE', `/api/v1/orders/${order.id}`);
    expect(deleted.statusCode).toBe(204);

    const gone = await call(t, f.users.waiter, 'GET', `/api/v1/orders/${order.id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe('POS_ERR_NOT_FOUND');
  });

  describe('security', () => {
    it("never answers another restaurant's staff from a view read by this one", async () => {
      const order = await openOrder(t, f);
      await read(order.id, f.users.admin);
      const other = await seedOrderFixture(t);

      const response = await call(t, other.users.admin, 'GET', `/api/v1/orders/${order.id}`);

      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('POS_ERR_NOT_FOUND');
    });

    it("never answers a customer with a view staff read of someone else's order", async () => {
      const someoneElses = await openOrder(t, f);
      const theirs = await openOrder(t, f, f.users.cashier, {
        type: 'takeaway',
        tableLabel: undefined,
        customerId: f.customerId,
      });
      await read(someoneElses.id);
      await read(theirs.id);

      const hidden = await call(t, f.users.customer, 'GET', `/api/v1/orders/${someoneElses.id}`);
      expect(hidden.statusCode).toBe(404);
      expect(hidden.json().code).toBe('POS_ERR_NOT_FOUND');
      expect((await read(theirs.id, f.users.customer)).id).toBe(theirs.id);
    });

    it('never answers a customer login linked to no record with a walk-in order staff read', async () => {
      const walkIn = await openOrder(t, f);
      const unlinked = await signIn(t, f.restaurant, 'customer');
      await read(walkIn.id);

      const hidden = await call(t, unlinked, 'GET', `/api/v1/orders/${walkIn.id}`);

      expect(hidden.statusCode).toBe(404);
      expect(hidden.json().code).toBe('POS_ERR_NOT_FOUND');
    });
  });
});

describe('OrderViewCache', () => {
  const principal: Principal = {
    kind: 'user',
    id: 'user-1',
    restaurantId: 'restaurant-1',
    role: 'waiter',
    permissions: new Set(['order.read']),
    customerId: null,
  } as unknown as Principal;
  const view = { id: 'order-1', customerId: null } as unknown as OrderView;

  it('keeps nothing it read while a write was counted, and reads again next time', async () => {
    const tracker = new ChangeTracker(() => 1);
    const cache = new OrderViewCache(tracker);
    const load = vi.fn(async () => {
      // A write to the order is compiled while its rows are being read.
      tracker.statementRunning(tablesWrittenBy('update "orders" set "notes" = null'));
      return view;
    });

    await cache.read(principal, 'order-1', load, JSON.stringify);
    await cache.read(principal, 'order-1', load, JSON.stringify);
    expect(load).toHaveBeenCalledTimes(2);

    load.mockImplementation(async () => view);
    await cache.read(principal, 'order-1', load, JSON.stringify);
    await cache.read(principal, 'order-1', load, JSON.stringify);
    expect(load).toHaveBeenCalledTimes(3);
  });
});
