import { startOrderServer, twoItemOrder } from '../order-server.js';
import type { BenchTarget } from '../scenario.js';

export const name = 'app-order-create';
export const description =
  'authenticated POST /api/v1/orders with 2 items: token check, permission, rate limit, ' +
  'validation, catalog pricing, one durable transaction with order, items, counter and audit';
export const compareTo = 'bare-durable-insert';

export async function setup(): Promise<BenchTarget> {
  const fixture = await startOrderServer();
  return {
    url: `${fixture.origin}/api/v1/orders`,
    method: 'POST',
    headers: fixture.headers,
    body: twoItemOrder(fixture.productIds),
    close: () => fixture.close(),
  };
}
