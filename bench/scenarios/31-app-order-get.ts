import { startOrderServer, twoItemOrder } from '../order-server.js';
import type { BenchTarget } from '../scenario.js';

export const name = 'app-order-get';
export const description =
  'authenticated GET /api/v1/orders/:id of a 2-item order, read again and again: token check, ' +
  'permission, rate limit, intrusion scan, the view kept in memory after the first read';
export const compareTo = 'bare-hello';

export async function setup(): Promise<BenchTarget> {
  const fixture = await startOrderServer();
  const created = await fetch(`${fixture.origin}/api/v1/orders`, {
    method: 'POST',
    headers: fixture.headers,
    body: twoItemOrder(fixture.productIds),
  });
  if (created.status !== 201) throw new Error(`bench order failed with ${created.status}`);
  const { id } = (await created.json()) as { id: string };

  const { authorization } = fixture.headers;
  return {
    url: `${fixture.origin}/api/v1/orders/${id}`,
    headers: { authorization: authorization ?? '' },
    close: () => fixture.close(),
  };
}
