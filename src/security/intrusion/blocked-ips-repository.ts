import type { Executor } from '../../infra/db/database.js';
import type { BlockedIpsTable } from '../../infra/db/schema.js';
import type { RestaurantId } from '../../infra/db/tenant.js';

export type BlockedIpRow = BlockedIpsTable;

const PAGE_MAX = 100;

/**
 * Blocked addresses. Deliberately not a `TenantRepository`: a block applies to every request
 * before any restaurant is known. What a restaurant's admin may see and lift is narrowed
 * explicitly (`visibleTo`): blocks their restaurant made or caused, and those caused by
 * unauthenticated sources, never another restaurant's.
 */
export class BlockedIpsRepository {
  readonly #db: Executor;

  constructor(db: Executor) {
    this.#db = db;
  }

  async insert(row: BlockedIpRow): Promise<void> {
    await this.#db.insertInto('blocked_ips').values(row).execute();
  }

  /** The unremoved, unexpired block of an address made by or for `restaurantId` (or nobody). */
  async findActive(
    address: string,
    restaurantId: string | null,
    now: string,
  ): Promise<BlockedIpRow | null> {
    let query = this.#db
      .selectFrom('blocked_ips')
      .selectAll()
      .where('address', '=', address)
      .where('removed_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('expires_at', 'desc');
    query =
      restaurantId === null
        ? query.where('restaurant_id', 'is', null)
        : query.where('restaurant_id', '=', restaurantId);
    return (await query.executeTakeFirst()) ?? null;
  }

  async findVisible(id: string, visibleTo: RestaurantId): Promise<BlockedIpRow | null> {
    const row = await this.#db
      .selectFrom('blocked_ips')
      .selectAll()
      .where('id', '=', id)
      .where((eb) => eb.or([eb('restaurant_id', '=', visibleTo), eb('restaurant_id', 'is', null)]))
      .executeTakeFirst();
    return row ?? null;
  }

  async extend(id: string, expiresAt: string, now: string): Promise<void> {
    await this.#db
      .updateTable('blocked_ips')
      .set({ expires_at: expiresAt, updated_at: now })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Lifts the active blocks of an address that `visibleTo` may see (all of them when it is
   * null, for operators); returns the lifted rows as they are now.
   */
  async removeActive(options: {
    address: string;
    now: string;
    removedBy: string;
    visibleTo: RestaurantId | null;
  }): Promise<BlockedIpRow[]> {
    const { address, now, removedBy, visibleTo } = options;
    let query = this.#db
      .selectFrom('blocked_ips')
      .selectAll()
      .where('address', '=', address)
      .where('removed_at', 'is', null)
      .where('expires_at', '>', now);
    if (visibleTo !== null) {
      query = query.where((eb) =>
        eb.or([eb('restaurant_id', '=', visibleTo), eb('restaurant_id', 'is', null)]),
      );
    }
    const rows = await query.execute();
    if (rows.length === 0) return [];

    await this.#db
      .updateTable('blocked_ips')
      .set({ removed_at: now, removed_by: removedBy, updated_at: now })
      .where(
        'id',
        'in',
        rows.map((row) => row.id),
      )
      .execute();
    return rows.map((row) => ({ ...row, removed_at: now, removed_by: removedBy, updated_at: now }));
  }

  /** Active blocks a restaurant may see, soonest to expire last, after `cursor`. */
  async listActive(options: {
    now: string;
    visibleTo: RestaurantId;
    limit: number;
    after?: { expiresAt: string; id: string };
  }): Promise<BlockedIpRow[]> {
    let query = this.#db
      .selectFrom('blocked_ips')
      .selectAll()
      .where('removed_at', 'is', null)
      .where('expires_at', '>', options.now)
      .where((eb) =>
        eb.or([eb('restaurant_id', '=', options.visibleTo), eb('restaurant_id', 'is', null)]),
      )
      .orderBy('expires_at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(options.limit, PAGE_MAX));
    const after = options.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('expires_at', '<', after.expiresAt),
          eb.and([eb('expires_at', '=', after.expiresAt), eb('id', '<', after.id)]),
        ]),
      );
    }
    return query.execute();
  }

  /** Every block in force, for a process starting up. */
  async allActive(now: string): Promise<BlockedIpRow[]> {
    return this.#db
      .selectFrom('blocked_ips')
      .selectAll()
      .where('removed_at', 'is', null)
      .where('expires_at', '>', now)
      .execute();
  }

  /** Rows added, extended or lifted since `since`, for polling processes. */
  async changedSince(since: string): Promise<BlockedIpRow[]> {
    return this.#db
      .selectFrom('blocked_ips')
      .selectAll()
      .where('updated_at', '>=', since)
      .execute();
  }
}
