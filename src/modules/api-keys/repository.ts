import type { Executor } from '../../infra/db/database.js';
import type { ApiKeysTable } from '../../infra/db/schema.js';
import { TenantRepository, type RestaurantId } from '../../infra/db/tenant.js';

export type ApiKeyRow = ApiKeysTable;

const PAGE_MAX = 100;

/**
 * The one lookup that is not scoped to a restaurant: authentication, where the key itself is the
 * only thing the request brings (as a login brings a restaurant slug). It matches the key's hash
 * exactly, so it can find nothing but the key that was presented.
 */
export async function findApiKeyByHash(db: Executor, keyHash: string): Promise<ApiKeyRow | null> {
  const row = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('key_hash', '=', keyHash)
    .executeTakeFirst();
  return row ?? null;
}

/** The API keys of one restaurant. */
export class ApiKeysRepository extends TenantRepository {
  constructor(db: Executor, restaurantId: RestaurantId) {
    super(db, restaurantId);
  }

  async insert(row: Omit<ApiKeyRow, 'restaurant_id'>): Promise<ApiKeyRow> {
    const full = { ...row, restaurant_id: this.restaurantId };
    await this.db.insertInto('api_keys').values(full).execute();
    return full;
  }

  async findById(id: string): Promise<ApiKeyRow | null> {
    const row = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ?? null;
  }

  /** Newest first, after the cursor position, at most `limit`. */
  async list(options: {
    limit: number;
    after?: { createdAt: string; id: string };
  }): Promise<ApiKeyRow[]> {
    let query = this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(options.limit, PAGE_MAX));
    const after = options.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)]),
        ]),
      );
    }
    return query.execute();
  }

  /** Deactivates a key once; returns false when it was already revoked (a racing revoke). */
  async revoke(id: string, at: string, by: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ active: 0, revoked_at: at, revoked_by: by })
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .where('active', '=', 1)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Moves `last_used_at` forward, never back (flushes from several processes may interleave). */
  async touch(id: string, at: string): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ last_used_at: at })
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
      .execute();
  }
}
