import type { Executor } from '../../infra/db/database.js';
import type { CustomersTable } from '../../infra/db/schema.js';
import { TenantRepository, type RestaurantId } from '../../infra/db/tenant.js';
import { containsIgnoringCase } from '../catalog/like-pattern.js';
import { afterNameAndId, type PagePosition } from '../../infra/db/page-cursor.js';
import type { SealedPii, SearchableField } from './protected-fields.js';
import { indexColumnOf } from './protected-fields.js';

export type CustomerRow = CustomersTable;

const PAGE_MAX = 101;
/** More matches than a counter lookup can use; phones and e-mails may be shared by a family. */
const LOOKUP_MAX = 10;

/** Customers of one restaurant. Queries match blind indexes; nothing here decrypts. */
export class CustomersRepository extends TenantRepository {
  constructor(db: Executor, restaurantId: RestaurantId) {
    super(db, restaurantId);
  }

  async insert(row: Omit<CustomerRow, 'restaurant_id'>): Promise<CustomerRow> {
    const full = { ...row, restaurant_id: this.restaurantId };
    await this.db.insertInto('customers').values(full).execute();
    return full;
  }

  async findById(id: string, forUpdate = false): Promise<CustomerRow | null> {
    let query = this.db
      .selectFrom('customers')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id);
    if (forUpdate) query = query.forUpdate();
    return (await query.executeTakeFirst()) ?? null;
  }

  /** Customers whose blind index for `field` equals `index`. */
  async findByIndex(field: SearchableField, index: string): Promise<CustomerRow[]> {
    return this.db
      .selectFrom('customers')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where(indexColumnOf(field), '=', index)
      .orderBy('name')
      .orderBy('id')
      .limit(LOOKUP_MAX)
      .execute();
  }

  /** Customers by name, after a cursor position, optionally whose name contains `search`. */
  async list(options: {
    limit: number;
    after?: PagePosition;
    search?: string;
  }): Promise<CustomerRow[]> {
    let query = this.db
      .selectFrom('customers')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .orderBy('name')
      .orderBy('id')
      .limit(Math.min(options.limit, PAGE_MAX));
    if (options.search !== undefined)
      query = query.where(containsIgnoringCase('name', options.search));
    if (options.after) query = query.where(afterNameAndId(options.after));
    return query.execute();
  }

  async update(
    id: string,
    changes: Partial<SealedPii> & { name?: string; updated_at: string },
  ): Promise<void> {
    await this.db
      .updateTable('customers')
      .set(changes)
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .execute();
  }

  /** Whether a login (a user row) is already linked to this customer. */
  async hasLogin(customerId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('users')
      .select('id')
      .where('restaurant_id', '=', this.restaurantId)
      .where('customer_id', '=', customerId)
      .executeTakeFirst();
    return row !== undefined;
  }
}
