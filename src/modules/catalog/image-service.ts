import type { AppContext } from '../../app/context.js';
import { notFound } from '../../core/errors.js';
import { inTransaction } from '../../infra/db/transaction.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import type { ImageStore } from './images/image-store.js';
import { processProductImage, type ProductImageUpload } from './images/process-image.js';
import { ProductsRepository } from './repository.js';
import { toProductView, type ProductView } from './service.js';

/** Throws not-found unless the restaurant has this live product. */
export async function requireProduct(
  context: AppContext,
  restaurantId: RestaurantId,
  productId: string,
): Promise<void> {
  const products = new ProductsRepository(context.database.kysely, restaurantId);
  if (!(await products.findById(productId))) throw notFound();
}

/**
 * Validates and re-encodes an upload, stores it under a new random name and points the product at
 * it. The previous file is removed only once the new one is committed, and the new file is
 * removed again if the commit fails, so the disk and the database never disagree for long.
 */
export async function replaceProductImage(
  context: AppContext,
  store: ImageStore,
  principal: Principal,
  productId: string,
  upload: ProductImageUpload,
  source: RequestSource,
): Promise<ProductView> {
  const image = await processProductImage(upload);
  const name = await store.save(image.data, image.extension);

  let result: { previous: string | null; view: ProductView };
  try {
    result = await inTransaction(context.database, async (tx) => {
      const products = new ProductsRepository(tx, principal.restaurantId);
      const product = await products.findById(productId, context.database.dialect === 'postgres');
      if (!product) throw notFound();

      const now = context.clock.now().toISOString();
      await products.update(product.id, { image_name: name, updated_at: now });
      await context.audit.record(tx, {
        type: 'data_modification',
        action: 'product.image_update',
        outcome: 'success',
        restaurantId: principal.restaurantId,
        actor: actorOf(principal),
        source,
        resource: { type: 'product', id: product.id },
        details: { contentType: image.contentType, width: image.width, height: image.height },
      });
      const updated = { ...product, image_name: name, updated_at: now };
      return { previous: product.image_name, view: toProductView(updated, principal) };
    });
  } catch (error) {
    await store.remove(name);
    throw error;
  }

  if (result.previous !== null) await store.remove(result.previous);
  return result.view;
}

/** The stored name of a live product's image, or not-found. */
export async function productImageName(
  context: AppContext,
  restaurantId: RestaurantId,
  productId: string,
  options: { onMenuOnly: boolean },
): Promise<string> {
  const products = new ProductsRepository(context.database.kysely, restaurantId);
  const product = await products.findById(productId);
  if (!product?.image_name) throw notFound();
  if (options.onMenuOnly && !isOnMenu(product)) throw notFound();
  return product.image_name;
}

/** The public menu's rule: available and not sold out (deleted products are never loaded). */
export function isOnMenu(product: { available: number; stock_quantity: number | null }): boolean {
  return product.available === 1 && (product.stock_quantity === null || product.stock_quantity > 0);
}
