import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TestApp } from '../../../test/helpers/app.js';
import { testDialects } from '../../../test/helpers/database.js';
import { verifyChain } from '../../audit/verify.js';
import {
  buildOrdersTestApp,
  call,
  seedOrderFixture,
  type OrderFixture,
} from './orders.test-helpers.js';

describe.each(testDialects())('order numbers under concurrency (%s)', (dialect) => {
  let t: TestApp;
  let f: OrderFixture;

  beforeAll(async () => {
    t = await buildOrdersTestApp({ dialect });
    f = await seedOrderFixture(t);
  });
  afterAll(() => t.close());

  it('gives 50 concurrent orders 50 distinct numbers, 1 to 50, and an unbroken audit chain', async () => {
    const staff = [f.users.waiter, f.users.cashier, f.users.manager, f.users.admin];
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        call(t, staff[index % staff.length] ?? null, 'POST', '/api/v1/orders', {
          type: 'takeaway',
          items: [
            { productId: f.products.burger, quantity: 1 },
            { productId: f.products.soda, quantity: 2 },
          ],
        }),
      ),
    );

    expect(responses.map((r) => r.statusCode)).toEqual(Array(50).fill(201));
    const numbers = responses.map((r) => r.json<{ number: number }>().number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));

    const counter = await t.context.database.kysely
      .selectFrom('order_counters')
      .select('last_number')
      .where('restaurant_id', '=', f.restaurant.id)
      .executeTakeFirstOrThrow();
    expect(Number(counter.last_number)).toBe(50);
    expect(
      (await verifyChain(t.context.database.kysely, t.context.keys.auditChainKey, f.restaurant.id))
        .ok,
    ).toBe(true);
  });
});
