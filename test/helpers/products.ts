import type { Executor } from '../../src/infra/db/database.js';

export interface MenuItem {
  id: string;
  name: string;
  priceCents: number;
}

/**
 * Writes available products straight into `restaurantId`'s catalog, for suites and benchmarks
 * whose subject is not the catalog and which cannot spend an admin's login on creating them.
 */
export async function insertProducts(
  db: Executor,
  restaurantId: string,
  items: readonly MenuItem[],
  now: string = new Date().toISOString(),
): Promise<void> {
  await db
    .insertInto('products')
    .values(
      items.map((item) => ({
        id: item.id,
        restaurant_id: restaurantId,
        category_id: null,
        name: item.name,
        description: null,
        price_cents: item.priceCents,
        cost_cents: null,
        available: 1,
        stock_quantity: null,
        image_name: null,
        created_at: now,
        updated_at: now,
        deleted_at: null,
        deleted_by: null,
      })),
    )
    .execute();
}
