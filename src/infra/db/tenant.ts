import type { Executor } from './database.js';

/**
 * The id of a restaurant whose data a query may touch. It is branded so that it can only come
 * from an authenticated principal or from the restaurants repository, never from a raw request
 * string; every business repository takes one at construction and filters by it in every query.
 */
export type RestaurantId = string & { readonly __brand: 'RestaurantId' };

/** Marks an id read from a trusted source (the database or a verified token) as a tenant id. */
export function trustedRestaurantId(id: string): RestaurantId {
  if (typeof id !== 'string' || id.length === 0) {
    throw new Error('A restaurant id is required for tenant-scoped queries.');
  }
  return id as RestaurantId;
}

/**
 * Base of every repository of business data. It cannot be built without a restaurant id, so a
 * query that forgets its tenant cannot be written through it.
 */
export abstract class TenantRepository {
  protected readonly db: Executor;
  protected readonly restaurantId: RestaurantId;

  protected constructor(db: Executor, restaurantId: RestaurantId) {
    this.db = db;
    this.restaurantId = trustedRestaurantId(restaurantId);
  }
}
