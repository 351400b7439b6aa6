import type { Executor } from '../../infra/db/database.js';
import type { CategoriesTable, ProductsTable } from '../../infra/db/schema.js';
import { TenantRepository, type RestaurantId } from '../../infra/db/tenant.js';
import { containsIgnoringCase } from './like-pattern.js';
import { afterNameAndId, type PagePosition } from '../../infra/db/page-cursor.js';

export type CategoryRow = CategoriesTable;
export type ProductRow = ProductsTable;
export type ProductChanges = Partial<
  Omit<ProductsTable, 'id' | 'restaurant_id' | 'created_at' | 'deleted_at' | 'deleted_by'>
>;

const PAGE_MAX = 101;

export interface ProductFilters {
  limit: number;
  after?: PagePosition;
  categoryId?: string;
  available?: boolean;
  search?: string;
}

/** Categories of one restaurant. */
export class CategoriesRepository extends TenantRepository {
  constructor(db: Executor, restaurantId: RestaurantId) {
    super(db, restaurantId);
  }

  async insert(row: Omit<CategoryRow, 'restaurant_id'>): Promise<CategoryRow> {
    const full = { ...row, restaurant_id: this.restaurantId };
    await this.db.insertInto('categories').values(full).execute();
    return full;
  }

  async findById(id: string): Promise<CategoryRow | null> {
    const row = await this.db
      .selectFrom('categories')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ?? null;
  }

  async findByName(name: string): Promise<CategoryRow | null> {
    const row = await this.db
      .selectFrom('categories')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row ?? null;
  }

  /** Categories by name, after a cursor position. */
  async list(options: { limit: number; after?: PagePosition }): Promise<CategoryRow[]> {
    let query = this.db
      .selectFrom('categories')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .orderBy('name')
      .orderBy('id')
      .limit(Math.min(options.limit, PAGE_MAX));
    if (options.after) query = query.where(afterNameAndId(options.after));
    return query.execute();
  }

  /** Every category, in menu order. */
  async listInMenuOrder(): Promise<CategoryRow[]> {
    return this.db
      .selectFrom('categories')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .orderBy('sort_order')
      .orderBy('name')
      .execute();
  }
}

/** Products of one restaurant. Soft-deleted products are invisible to every method here. */
export class ProductsRepository extends TenantRepository {
  constructor(db: Executor, restaurantId: RestaurantId) {
    super(db, restaurantId);
  }

  private live() {
    return this.db
      .selectFrom('products')
      .selectAll()
      .where('restaurant_id', '=', this.restaurantId)
      .where('deleted_at', 'is', null);
  }

  async insert(row: Omit<ProductRow, 'restaurant_id'>): Promise<ProductRow> {
    const full = { ...row, restaurant_id: this.restaurantId };
    await this.db.insertInto('products').values(full).execute();
    return full;
  }

  /** A live product; `forUpdate` locks its row for the transaction (PostgreSQL only). */
  async findById(id: string, forUpdate = false): Promise<ProductRow | null> {
    let query = this.live().where('id', '=', id);
    if (forUpdate) query = query.forUpdate();
    return (await query.executeTakeFirst()) ?? null;
  }

  async findByIds(ids: readonly string[]): Promise<ProductRow[]> {
    if (ids.length === 0) return [];
    return this.live().where('id', 'in', ids).execute();
  }

  /** Live products by name, filtered, after a cursor position. */
  async list(filters: ProductFilters): Promise<ProductRow[]> {
    let query = this.live().orderBy('name').orderBy('id').limit(Math.min(filters.limit, PAGE_MAX));
    if (filters.categoryId !== undefined)
      query = query.where('category_id', '=', filters.categoryId);
    if (filters.available !== undefined) {
      query = query.where('available', '=', filters.available ? 1 : 0);
    }
    if (filters.search !== undefined)
      query = query.where(containsIgnoringCase('name', filters.search));
    if (filters.after) query = query.where(afterNameAndId(filters.after));
    return query.execute();
  }

  /** What the public menu shows: available, live, and not sold out. */
  async listOnMenu(): Promise<ProductRow[]> {
    return this.live()
      .where('available', '=', 1)
      .where((eb) => eb.or([eb('stock_quantity', 'is', null), eb('stock_quantity', '>', 0)]))
      .orderBy('name')
      .orderBy('id')
      .execute();
  }

  /** Updates a live product; returns false when there is none with that id. */
  async update(id: string, changes: ProductChanges): Promise<boolean> {
    const result = await this.db
      .updateTable('products')
      .set(changes)
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async softDelete(id: string, deletedBy: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('products')
      .set({ deleted_at: at, deleted_by: deletedBy, updated_at: at })
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Takes `quantity` from a tracked stock only if that much is there, in one conditional update,
   * so two orders racing for the last unit cannot both get it. Returns false when the stock is
   * short or the product is gone.
   */
  async takeStock(id: string, quantity: number, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('products')
      .set((eb) => ({ stock_quantity: eb('stock_quantity', '-', quantity), updated_at: at }))
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .where('stock_quantity', 'is not', null)
      .where('stock_quantity', '>=', quantity)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Puts units back into a tracked stock (a cancelled order); untracked stock is left alone. */
  async returnStock(id: string, quantity: number, at: string): Promise<void> {
    await this.db
      .updateTable('products')
      .set((eb) => ({ stock_quantity: eb('stock_quantity', '+', quantity), updated_at: at }))
      .where('restaurant_id', '=', this.restaurantId)
      .where('id', '=', id)
      .where('stock_quantity', 'is not', null)
      .execute();
  }
}
