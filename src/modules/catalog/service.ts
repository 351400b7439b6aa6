import type { AppContext } from '../../app/context.js';
import type { AuditDetails } from '../../audit/events.js';
import { conflict, forbidden, notFound, validationError } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import {
  actorOf,
  hasPermission,
  type Principal,
  type RequestSource,
} from '../../security/authz/principal.js';
import { decodeCursor, pageOf } from '../../infra/db/page-cursor.js';
import {
  CategoriesRepository,
  ProductsRepository,
  type CategoryRow,
  type ProductChanges,
  type ProductRow,
} from './repository.js';

export interface CategoryView {
  id: string;
  name: string;
  sortOrder: number;
  createdAt: string;
  updatedAt: string;
}

export interface ProductView {
  id: string;
  categoryId: string | null;
  name: string;
  description: string | null;
  priceCents: number;
  /** Present only for principals with `report.financial`. */
  costCents?: number | null;
  available: boolean;
  stockQuantity: number | null;
  hasImage: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function toCategoryView(row: CategoryRow): CategoryView {
  return {
    id: row.id,
    name: row.name,
    sortOrder: row.sort_order,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Cost is a financial figure (SPEC 4): it is left out unless the principal may read reports. */
export function toProductView(row: ProductRow, principal: Principal): ProductView {
  return {
    id: row.id,
    categoryId: row.category_id,
    name: row.name,
    description: row.description,
    priceCents: row.price_cents,
    ...(hasPermission(principal, 'report.financial') ? { costCents: row.cost_cents } : {}),
    available: row.available === 1,
    stockQuantity: row.stock_quantity,
    hasImage: row.image_name !== null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Names are kept as typed, minus surrounding space; blank is not a name. */
function cleanName(name: string, path: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw validationError([{ path, message: 'must not be blank' }]);
  return trimmed;
}

function cleanDescription(description: string | null | undefined): string | null {
  const trimmed = description?.trim() ?? '';
  return trimmed.length === 0 ? null : trimmed;
}

/** Only principals who may read costs may set them; anyone else is refused, not ignored. */
function assertMaySetCost(principal: Principal, costCents: number | null | undefined): void {
  if (costCents !== undefined && !hasPermission(principal, 'report.financial')) throw forbidden();
}

export async function createCategory(
  context: AppContext,
  principal: Principal,
  input: { name: string; sortOrder?: number },
  source: RequestSource,
): Promise<CategoryView> {
  const name = cleanName(input.name, 'body/name');

  return inTransaction(context.database, async (tx) => {
    const categories = new CategoriesRepository(tx, principal.restaurantId);
    if (await categories.findByName(name)) throw conflict('A category with this name exists.');

    const now = context.clock.now().toISOString();
    const category = await categories.insert({
      id: context.ids(),
      name,
      sort_order: input.sortOrder ?? 0,
      created_at: now,
      updated_at: now,
    });
    await context.audit.record(tx, {
      type: 'object_created',
      action: 'category.create',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'category', id: category.id },
    });
    return toCategoryView(category);
  });
}

export async function listCategories(
  context: AppContext,
  restaurantId: RestaurantId,
  options: { limit: number; cursor?: string },
): Promise<Page<CategoryView>> {
  const rows = await new CategoriesRepository(context.database.kysely, restaurantId).list({
    limit: options.limit + 1,
    ...(options.cursor ? { after: decodeCursor(options.cursor) } : {}),
  });
  return pageOf(rows, options.limit, (row) => ({ key: row.name, id: row.id }), toCategoryView);
}

export interface NewProductInput {
  name: string;
  description?: string | null;
  priceCents: number;
  costCents?: number | null;
  categoryId?: string | null;
  available?: boolean;
  stockQuantity?: number | null;
}

export async function createProduct(
  context: AppContext,
  principal: Principal,
  input: NewProductInput,
  source: RequestSource,
): Promise<ProductView> {
  const name = cleanName(input.name, 'body/name');
  assertMaySetCost(principal, input.costCents);

  return inTransaction(context.database, async (tx) => {
    const categoryId = input.categoryId ?? null;
    if (categoryId !== null) await requireCategory(tx, principal.restaurantId, categoryId);

    const now = context.clock.now().toISOString();
    const product = await new ProductsRepository(tx, principal.restaurantId).insert({
      id: context.ids(),
      category_id: categoryId,
      name,
      description: cleanDescription(input.description),
      price_cents: input.priceCents,
      cost_cents: input.costCents ?? null,
      available: input.available === false ? 0 : 1,
      stock_quantity: input.stockQuantity ?? null,
      image_name: null,
      created_at: now,
      updated_at: now,
      deleted_at: null,
      deleted_by: null,
    });
    await context.audit.record(tx, {
      type: 'object_created',
      action: 'product.create',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'product', id: product.id },
      details: { priceCents: product.price_cents },
    });
    return toProductView(product, principal);
  });
}

/** Another restaurant's category is answered like a missing one. */
async function requireCategory(
  tx: Executor,
  restaurantId: RestaurantId,
  categoryId: string,
): Promise<void> {
  if (!(await new CategoriesRepository(tx, restaurantId).findById(categoryId))) throw notFound();
}

export async function getProduct(
  context: AppContext,
  principal: Principal,
  productId: string,
): Promise<ProductView> {
  const products = new ProductsRepository(context.database.kysely, principal.restaurantId);
  const product = await products.findById(productId);
  if (!product) throw notFound();
  return toProductView(product, principal);
}

export async function listProducts(
  context: AppContext,
  principal: Principal,
  options: {
    limit: number;
    cursor?: string;
    categoryId?: string;
    available?: boolean;
    search?: string;
  },
): Promise<Page<ProductView>> {
  const { cursor, limit, ...filters } = options;
  const rows = await new ProductsRepository(context.database.kysely, principal.restaurantId).list({
    ...filters,
    limit: limit + 1,
    ...(cursor ? { after: decodeCursor(cursor) } : {}),
  });
  return pageOf(
    rows,
    limit,
    (row) => ({ key: row.name, id: row.id }),
    (row) => toProductView(row, principal),
  );
}

export type ProductUpdateInput = Partial<NewProductInput>;

/**
 * Changes catalog fields of a live product. A price change is audited with the old and the new
 * price, since it changes what every later order charges.
 */
export async function updateProduct(
  context: AppContext,
  principal: Principal,
  productId: string,
  input: ProductUpdateInput,
  source: RequestSource,
): Promise<ProductView> {
  assertMaySetCost(principal, input.costCents);

  return inTransaction(context.database, async (tx) => {
    const products = new ProductsRepository(tx, principal.restaurantId);
    const product = await products.findById(productId, context.database.dialect === 'postgres');
    if (!product) throw notFound();
    if (input.categoryId) await requireCategory(tx, principal.restaurantId, input.categoryId);

    const changes = productChanges(input);
    const now = context.clock.now().toISOString();
    await products.update(product.id, { ...changes, updated_at: now });

    await context.audit.record(tx, {
      type: 'data_modification',
      action: 'product.update',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'product', id: product.id },
      details: changeDetails(product, changes),
    });
    return toProductView({ ...product, ...changes, updated_at: now }, principal);
  });
}

function productChanges(input: ProductUpdateInput): ProductChanges {
  const changes: ProductChanges = {};
  if (input.name !== undefined) changes.name = cleanName(input.name, 'body/name');
  if (input.description !== undefined) changes.description = cleanDescription(input.description);
  if (input.priceCents !== undefined) changes.price_cents = input.priceCents;
  if (input.costCents !== undefined) changes.cost_cents = input.costCents;
  if (input.categoryId !== undefined) changes.category_id = input.categoryId;
  if (input.available !== undefined) changes.available = input.available ? 1 : 0;
  if (input.stockQuantity !== undefined) changes.stock_quantity = input.stockQuantity;
  return changes;
}

function changeDetails(before: ProductRow, changes: ProductChanges): AuditDetails {
  const details: AuditDetails = { fields: Object.keys(changes).sort().join(',') };
  if (changes.price_cents !== undefined && changes.price_cents !== before.price_cents) {
    details.oldPriceCents = before.price_cents;
    details.newPriceCents = changes.price_cents;
  }
  if (changes.cost_cents !== undefined && changes.cost_cents !== before.cost_cents) {
    details.costChanged = true;
  }
  return details;
}

/**
 * Soft-deletes a product: it leaves the catalog and the menu, while order items keep the name and
 * price they copied, and their `product_id` still points at this row.
 */
export async function deleteProduct(
  context: AppContext,
  principal: Principal,
  productId: string,
  source: RequestSource,
): Promise<void> {
  await inTransaction(context.database, async (tx) => {
    const products = new ProductsRepository(tx, principal.restaurantId);
    const now = context.clock.now().toISOString();
    if (!(await products.softDelete(productId, principal.id, now))) throw notFound();

    await context.audit.record(tx, {
      type: 'object_deleted',
      action: 'product.delete',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'product', id: productId },
    });
  });
}
