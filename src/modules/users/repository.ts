import type { Executor } from '../../infra/db/database.js';
import type { UsersTable } from '../../infra/db/schema.js';
import { TenantRepository, type RestaurantId } from '../../infra/db/tenant.js';
import type { Role } from '../../security/authz/permissions.js';

export type UserRow = UsersTable;
export type UserChanges = Partial<
  Omit<UsersTable, 'id' | 'restaurant_id' | 'created_at' | 'username'>
>;

const PAGE_MAX = 100;

/** Staff and customer logins of one restaurant. */
export class UsersRepository extends TenantRepository {
  constructor(db: Executor, restaurantId: RestaurantId) {
    super(db, restaurantId);
  }

  async findById(id: string): Promise<UserRow | null> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ?? null;
  }

  /** Locks the user's row for the rest of the transaction (PostgreSQL; SQLite serializes). */
  async findByIdForUpdate(id: string, forUpdate: boolean): Promise<UserRow | null> {
    let query = this.db
      .selectFrom('users')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id);
    if (forUpdate) query = query.forUpdate();
    return (await query.executeTakeFirst()) ?? null;
  }

  /** Finds a user by login name; `forUpdate` locks the row on PostgreSQL. */
  async findByUsername(username: string, forUpdate = false): Promise<UserRow | null> {
    let query = this.db
      .selectFrom('users')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('username', '=', username);
    if (forUpdate) query = query.forUpdate();
    return (await query.executeTakeFirst()) ?? null;
  }

  async insert(row: Omit<UserRow, 'restaurant_id'>): Promise<UserRow> {
    const full = { ...row, restaurant_id: this.restaurantId };
    await this.db.insertInto('users').values(full).execute();
    return full;
  }

  async update(id: string, changes: UserChanges): Promise<void> {
    await this.db
      .updateTable('users')
      .set(changes)
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .execute();
  }

  /** Users ordered by username, after `cursor` (a username), at most `limit`. */
  async list(options: { limit: number; after?: string; role?: Role }): Promise<UserRow[]> {
    let query = this.db
      .selectFrom('users')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .orderBy('username', 'asc')
      .limit(Math.min(options.limit, PAGE_MAX));
    if (options.after) query = query.where('username', '>', options.after);
    if (options.role) query = query.where('role', '=', options.role);
    return query.execute();
  }

  async countActiveAdmins(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('restaurant_id', '=', this.restaurantId)
      .where('role', '=', 'admin')
      .where('status', '!=', 'disabled')
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async recentPasswordHashes(userId: string, count: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('password_history')
      .innerJoin('users', 'users.id', 'password_history.user_id')
      .select('password_history.password_hash')
      .where('users.restaurant_id', '=', this.restaurantId)
      .where('password_history.user_id', '=', userId)
      .orderBy('password_history.created_at', 'desc')
      .limit(count)
      .execute();
    return rows.map((row) => row.password_hash);
  }

  async addPasswordHistory(entry: { id: string; userId: string; hash: string; at: string }) {
    await this.db
      .insertInto('password_history')
      .values({
        id: entry.id,
        user_id: entry.userId,
        password_hash: entry.hash,
        created_at: entry.at,
      })
      .execute();
  }
}
