import { AppError } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import { ProductsRepository } from './repository.js';

/** What the orders module needs to price an item; never the cost. */
export interface OrderableProduct {
  id: string;
  name: string;
  priceCents: number;
  available: boolean;
  /** NULL when the product's stock is not tracked. */
  stockQuantity: number | null;
}

/** More distinct products than any order holds; a bigger request is a bug or an attack. */
const MAX_PRODUCTS_PER_LOOKUP = 500;

/**
 * The live (non-deleted) products of a restaurant among `productIds`, keyed by id. Ids that are
 * missing, deleted or another restaurant's are simply absent from the map: the caller answers
 * them as not found. Pass the order's transaction as `db` so the prices read are the prices the
 * order commits with.
 */
export async function getProductsForOrder(
  db: Executor,
  restaurantId: RestaurantId,
  productIds: readonly string[],
): Promise<Map<string, OrderableProduct>> {
  const unique = [...new Set(productIds)];
  if (unique.length > MAX_PRODUCTS_PER_LOOKUP) throw new AppError('POS_ERR_VALIDATION');

  const rows = await new ProductsRepository(db, restaurantId).findByIds(unique);
  return new Map(
    rows.map((row) => [
      row.id,
      {
        id: row.id,
        name: row.name,
        priceCents: row.price_cents,
        available: row.available === 1,
        stockQuantity: row.stock_quantity,
      },
    ]),
  );
}

export interface StockLine {
  productId: string;
  quantity: number;
}

/** Adds up the quantities per product, so one product on two lines is checked as one. */
function totalsByProduct(lines: readonly StockLine[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const line of lines) {
    if (!Number.isInteger(line.quantity) || line.quantity <= 0) {
      throw new AppError('POS_ERR_VALIDATION');
    }
    totals.set(line.productId, (totals.get(line.productId) ?? 0) + line.quantity);
  }
  return totals;
}

/**
 * Takes the ordered quantities out of tracked stock, inside the caller's transaction: either every
 * line has enough and all are taken, or `POS_ERR_CONFLICT` is thrown and the caller's rollback
 * undoes the lines already taken. Products whose stock is not tracked are left alone.
 *
 * The catalog never calls this by itself: stock moves only when the orders module calls it (for
 * example when an order is sent to the kitchen) and `returnStock` when that order is cancelled.
 */
export async function decrementStock(
  tx: Executor,
  restaurantId: RestaurantId,
  lines: readonly StockLine[],
  at: string,
): Promise<void> {
  const products = new ProductsRepository(tx, restaurantId);
  for (const [productId, quantity] of totalsByProduct(lines)) {
    if (await products.takeStock(productId, quantity, at)) continue;

    const product = await products.findById(productId);
    if (!product) throw new AppError('POS_ERR_NOT_FOUND');
    if (product.stock_quantity === null) continue;
    throw new AppError('POS_ERR_CONFLICT', { message: 'Not enough stock for an item.' });
  }
}

/** Puts quantities back into tracked stock, inside the caller's transaction (a cancellation). */
export async function returnStock(
  tx: Executor,
  restaurantId: RestaurantId,
  lines: readonly StockLine[],
  at: string,
): Promise<void> {
  const products = new ProductsRepository(tx, restaurantId);
  for (const [productId, quantity] of totalsByProduct(lines)) {
    await products.returnStock(productId, quantity, at);
  }
}
