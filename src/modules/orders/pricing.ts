import { AppError } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import { decrementStock, getProductsForOrder, returnStock } from '../catalog/pricing.js';
import type { NewItem } from './schemas.js';

/** An item priced from the catalog: the name and unit price are copied, never taken from input. */
export interface PricedItem {
  productId: string;
  productName: string;
  unitPriceCents: number;
  quantity: number;
  notes: string | null;
}

/**
 * Prices new items from the catalog inside the order's transaction, and takes tracked stock for
 * them. A product that is unknown, another restaurant's, deleted, unavailable or out of stock
 * answers 409 POS_ERR_PRODUCT_UNAVAILABLE naming the first such item (`items/<index>`), alike
 * for every cause so that another restaurant's product ids reveal nothing.
 */
export async function priceItems(
  tx: Executor,
  restaurantId: RestaurantId,
  items: readonly NewItem[],
  at: string,
): Promise<PricedItem[]> {
  const products = await getProductsForOrder(
    tx,
    restaurantId,
    items.map((item) => item.productId),
  );

  const wanted = new Map<string, number>();
  const priced = items.map((item, index): PricedItem => {
    const product = products.get(item.productId);
    const total = (wanted.get(item.productId) ?? 0) + item.quantity;
    wanted.set(item.productId, total);
    const outOfStock = product?.stockQuantity != null && product.stockQuantity < total;
    if (!product || !product.available || outOfStock) throw unavailable(index);

    return {
      productId: product.id,
      productName: product.name,
      unitPriceCents: product.priceCents,
      quantity: item.quantity,
      notes: item.notes ?? null,
    };
  });

  // Untracked products are skipped here: asking the catalog about them costs two queries each.
  const tracked = priced.filter((item) => products.get(item.productId)?.stockQuantity != null);
  if (tracked.length > 0) await decrementStock(tx, restaurantId, byProductId(tracked), at);
  return priced;
}

/** Puts the quantities of voided or cancelled items back into tracked stock. */
export async function restock(
  tx: Executor,
  restaurantId: RestaurantId,
  items: readonly { productId: string; quantity: number }[],
  at: string,
): Promise<void> {
  if (items.length > 0) await returnStock(tx, restaurantId, byProductId(items), at);
}

/**
 * Product rows are locked in id order by every order, so two orders naming the same products in
 * opposite orders wait for each other instead of deadlocking on PostgreSQL.
 */
function byProductId<T extends { productId: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) =>
    a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0,
  );
}

function unavailable(index: number): AppError {
  return new AppError('POS_ERR_PRODUCT_UNAVAILABLE', {
    fields: [{ path: `body/items/${index}/productId`, message: 'is not available' }],
  });
}
