import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { AppError } from '../../core/errors.js';
import { inTransaction } from '../../infra/db/transaction.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import type { Permission } from '../../security/authz/permissions.js';
import type { Principal } from '../../security/authz/principal.js';
import { decrementStock, getProductsForOrder, returnStock } from './pricing.js';
import { createProduct, deleteProduct, updateProduct } from './service.js';

const source = { ip: '203.0.113.9', requestId: 'req-pricing' };

function principalFor(restaurantId: RestaurantId, permissions: Permission[]): Principal {
  return {
    kind: 'api_key',
    id: 'key-1',
    restaurantId,
    role: null,
    permissions: new Set(permissions),
    customerId: null,
    tokenId: null,
    sessionId: null,
  };
}

describe.each(testDialects())('catalog pricing for orders (%s)', (dialect) => {
  let t: TestApp;
  let restaurantId: RestaurantId;
  let otherId: RestaurantId;
  let owner: Principal;

  beforeAll(async () => {
    t = await buildTestApp({ dialect });
    restaurantId = (await seedRestaurant(t)).id;
    otherId = (await seedRestaurant(t)).id;
    owner = principalFor(restaurantId, [
      'product.create',
      'product.update',
      'product.delete',
      'report.financial',
    ]);
  });
  afterAll(() => t.close());

  const product = (input: { name: string; priceCents: number; stockQuantity?: number | null }) =>
    createProduct(t.context, owner, { costCents: 100, ...input }, source);

  const stockOf = async (id: string) =>
    (
      await t.context.database.kysely
        .selectFrom('products')
        .select('stock_quantity')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).stock_quantity;

  it('prices live products only, never exposing the cost, and ignores other restaurants', async () => {
    const soup = await product({ name: 'Sopa', priceCents: 1800, stockQuantity: 3 });
    const gone = await product({ name: 'Antigo', priceCents: 999 });
    await deleteProduct(t.context, owner, gone.id, source);
    const foreign = await createProduct(
      t.context,
      principalFor(otherId, ['product.create']),
      { name: 'Alheio', priceCents: 1 },
      source,
    );

    const found = await getProductsForOrder(t.context.database.kysely, restaurantId, [
      soup.id,
      soup.id,
      gone.id,
      foreign.id,
      'missing',
    ]);

    expect([...found.keys()]).toEqual([soup.id]);
    expect(found.get(soup.id)).toEqual({
      id: soup.id,
      name: 'Sopa',
      priceCents: 1800,
      available: true,
      stockQuantity: 3,
    });
  });

  it('takes stock for every line or for none', async () => {
    const bread = await product({ name: 'Pao', priceCents: 300, stockQuantity: 5 });
    const cake = await product({ name: 'Bolo', priceCents: 900, stockQuantity: 1 });
    const coffee = await product({ name: 'Cafe', priceCents: 500, stockQuantity: null });
    const at = t.clock.now().toISOString();

    await inTransaction(t.context.database, (tx) =>
      decrementStock(
        tx,
        restaurantId,
        [
          { productId: bread.id, quantity: 2 },
          { productId: coffee.id, quantity: 7 },
          { productId: bread.id, quantity: 1 },
        ],
        at,
      ),
    );
    expect(await stockOf(bread.id)).toBe(2);
    expect(await stockOf(coffee.id)).toBeNull();

    const short = inTransaction(t.context.database, (tx) =>
      decrementStock(
        tx,
        restaurantId,
        [
          { productId: bread.id, quantity: 1 },
          { productId: cake.id, quantity: 2 },
        ],
        at,
      ),
    );
    await expect(short).rejects.toMatchObject({ code: 'POS_ERR_CONFLICT' });
    expect(await stockOf(bread.id)).toBe(2);
    expect(await stockOf(cake.id)).toBe(1);

    await inTransaction(t.context.database, (tx) =>
      returnStock(tx, restaurantId, [{ productId: bread.id, quantity: 2 }], at),
    );
    expect(await stockOf(bread.id)).toBe(4);
  });

  it("refuses to take another restaurant's stock", async () => {
    const foreign = await createProduct(
      t.context,
      principalFor(otherId, ['product.create']),
      { name: 'Alheio', priceCents: 1, stockQuantity: 10 },
      source,
    );

    const attempt = inTransaction(t.context.database, (tx) =>
      decrementStock(tx, restaurantId, [{ productId: foreign.id, quantity: 1 }], 'now'),
    );

    await expect(attempt).rejects.toMatchObject({ code: 'POS_ERR_NOT_FOUND' });
    expect(await stockOf(foreign.id)).toBe(10);
  });

  it('refuses a cost from a principal without report.financial, and hides the cost from it', async () => {
    const updater = principalFor(restaurantId, ['product.update']);
    const soup = await product({ name: 'Caldo', priceCents: 1000 });

    const attempt = updateProduct(t.context, updater, soup.id, { costCents: 1 }, source);
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ code: 'POS_ERR_FORBIDDEN' });

    const renamed = await updateProduct(
      t.context,
      updater,
      soup.id,
      { name: 'Caldo verde' },
      source,
    );
    expect(renamed).not.toHaveProperty('costCents');
  });
});
