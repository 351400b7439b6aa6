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

  /**
   * Records `step` as the user's last accepted TOTP step if it is newer than the one stored.
   * Conditional, so two requests with the same code cannot both succeed.
   */
  async claimTotpStep(id: string, step: number): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({ mfa_last_step: step })
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .where((eb) => eb.or([eb('mfa_last_step', 'is', null), eb('mfa_last_step', '<', step)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
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

  /**
   * Admins who are not disabled. With `forUpdate` (PostgreSQL) their rows stay locked to the end
   * of the transaction, so two concurrent removals of the last two admins cannot both pass.
   */
  async countActiveAdmins(forUpdate = false): Promise<number> {
    let query = this.db
      .selectFrom('users')
      .select('id')
      .where('restaurant_id', '=', this.restaurantId)
      .where('role', '=', 'admin')
      .where('status', '!=', 'disabled')
      // One lock order for everyone, so two such transactions cannot deadlock each other.
      .orderBy('id');
    if (forUpdate) query = query.forUpdate();
    return (await query.execute()).length;
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
