import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import type { Role } from '../../security/authz/permissions.js';
import type { Restaurant } from '../restaurants/repository.js';
import { call, errorOf, signInEveryRole } from './catalog.test-helpers.js';

interface ProductBody {
  id: string;
  name: string;
  priceCents: number;
  costCents?: number | null;
  available: boolean;
  stockQuantity: number | null;
  categoryId: string | null;
}

describe.each(testDialects())('catalog (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  let other: Restaurant;
  let users: Record<Role, SignedInUser>;
  let otherAdmin: SignedInUser;

  beforeAll(async () => {
    t = await buildTestApp({ dialect });
    restaurant = await seedRestaurant(t);
    other = await seedRestaurant(t);
    users = await signInEveryRole(t, restaurant);
    otherAdmin = await signIn(t, other, 'admin');
  });
  afterAll(() => t.close());

  async function newProduct(
    body: Record<string, unknown> = {},
    as: SignedInUser = users.admin,
  ): Promise<ProductBody> {
    const response = await call(t, as, 'POST', '/api/v1/products', {
      name: `Prato ${Math.random().toString(36).slice(2, 8)}`,
      priceCents: 2590,
      costCents: 900,
      ...body,
    });
    expect(response.statusCode).toBe(201);
    return response.json<ProductBody>();
  }

  async function storedProduct(id: string) {
    return t.context.database.kysely
      .selectFrom('products')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  describe('role by route', () => {
    const staffRead = {
      admin: 200,
      manager: 200,
      cashier: 200,
      waiter: 200,
      kitchen: 200,
      customer: 403,
    };
    const adminOnly = {
      admin: 201,
      manager: 403,
      cashier: 403,
      waiter: 403,
      kitchen: 403,
      customer: 403,
    };

    it.each(Object.entries(staffRead))('GET /categories as %s answers %i', async (role, status) => {
      const response = await call(t, users[role as Role], 'GET', '/api/v1/categories');
      expect(response.statusCode).toBe(status);
    });

    it.each(Object.entries(adminOnly))(
      'POST /categories as %s answers %i',
      async (role, status) => {
        const name = `Bebidas ${role} ${Math.random().toString(36).slice(2, 6)}`;
        const response = await call(t, users[role as Role], 'POST', '/api/v1/categories', { name });
        expect(response.statusCode).toBe(status);
        if (status === 403) expect(response.json().code).toBe('POS_ERR_FORBIDDEN');
      },
    );

    it.each(Object.entries(staffRead))('GET /products as %s answers %i', async (role, status) => {
      const response = await call(t, users[role as Role], 'GET', '/api/v1/products');
      expect(response.statusCode).toBe(status);
    });

    it.each(Object.entries(adminOnly))('POST /products as %s answers %i', async (role, status) => {
      const response = await call(t, users[role as Role], 'POST', '/api/v1/products', {
        name: `Suco ${role}`,
        priceCents: 800,
      });
      expect(response.statusCode).toBe(status);
      if (status === 403) expect(response.json().code).toBe('POS_ERR_FORBIDDEN');
    });

    it.each(Object.entries(staffRead))(
      'GET /products/:id as %s answers %i',
      async (role, status) => {
        const product = await newProduct();
        const response = await call(
          t,
          users[role as Role],
          'GET',
          `/api/v1/products/${product.id}`,
        );
        expect(response.statusCode).toBe(status);
      },
    );

    const updaters = {
      admin: 200,
      manager: 200,
      cashier: 403,
      waiter: 403,
      kitchen: 403,
      customer: 403,
    };
    it.each(Object.entries(updaters))(
      'PATCH /products/:id as %s answers %i',
      async (role, status) => {
        const product = await newProduct();
        const response = await call(
          t,
          users[role as Role],
          'PATCH',
          `/api/v1/products/${product.id}`,
          {
            priceCents: 3100,
          },
        );
        expect(response.statusCode).toBe(status);
        expect((await storedProduct(product.id))?.price_cents).toBe(status === 200 ? 3100 : 2590);
      },
    );

    const deleters = {
      admin: 204,
      manager: 403,
      cashier: 403,
      waiter: 403,
      kitchen: 403,
      customer: 403,
    };
    it.each(Object.entries(deleters))(
      'DELETE /products/:id as %s answers %i',
      async (role, status) => {
        const product = await newProduct();
        const response = await call(
          t,
          users[role as Role],
          'DELETE',
          `/api/v1/products/${product.id}`,
        );
        expect(response.statusCode).toBe(status);
        const stored = await storedProduct(product.id);
        expect(stored?.deleted_at === null).toBe(status !== 204);
      },
    );

    it('audits the refusal of the staff catalog to a customer login', async () => {
      const before = (await auditEntries(t, { action: 'authz.deny' })).length;

      await call(t, users.customer, 'GET', '/api/v1/products');

      const denials = await auditEntries(t, { action: 'authz.deny' });
      expect(denials).toHaveLength(before + 1);
      expect(denials.at(-1)).toMatchObject({
        outcome: 'denied',
        actor_id: users.customer.id,
        resource_id: 'GET /api/v1/products',
      });
    });
  });

  describe('cost', () => {
    it('shows costCents to admin and manager, never to cashier, waiter or kitchen', async () => {
      const product = await newProduct({ costCents: 1234 });

      for (const role of ['admin', 'manager'] as const) {
        const response = await call(t, users[role], 'GET', `/api/v1/products/${product.id}`);
        expect(response.json()).toMatchObject({ costCents: 1234 });
      }
      for (const role of ['cashier', 'waiter', 'kitchen'] as const) {
        const one = await call(t, users[role], 'GET', `/api/v1/products/${product.id}`);
        expect(one.json()).not.toHaveProperty('costCents');
        expect(one.body).not.toContain('1234');

        const list = await call(t, users[role], 'GET', '/api/v1/products?limit=100');
        expect(list.body).not.toContain('costCents');
      }
    });

    it('lets a manager (report.financial) change the cost', async () => {
      const product = await newProduct();

      const response = await call(t, users.manager, 'PATCH', `/api/v1/products/${product.id}`, {
        costCents: 1500,
      });

      expect(response.json()).toMatchObject({ costCents: 1500 });
      expect((await storedProduct(product.id))?.cost_cents).toBe(1500);
      const audit = await auditEntries(t, { action: 'product.update', resourceId: product.id });
      expect(detailsOf(audit.at(-1))).toMatchObject({ costChanged: true, fields: 'cost_cents' });
    });
  });

  describe('products', () => {
    it('creates a product in a category and audits it with its price', async () => {
      const category = await call(t, users.admin, 'POST', '/api/v1/categories', {
        name: 'Massas',
        sortOrder: 2,
      });
      expect(category.statusCode).toBe(201);

      const product = await newProduct({
        name: '  Lasanha  ',
        categoryId: category.json().id,
        stockQuantity: 12,
      });

      expect(product).toMatchObject({
        name: 'Lasanha',
        priceCents: 2590,
        costCents: 900,
        available: true,
        stockQuantity: 12,
        categoryId: category.json().id,
      });
      const audit = await auditEntries(t, { action: 'product.create', resourceId: product.id });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ event_type: 'object_created', actor_id: users.admin.id });
      expect(detailsOf(audit[0])).toEqual({ priceCents: 2590 });
    });

    it('refuses a duplicate category name with 409', async () => {
      await call(t, users.admin, 'POST', '/api/v1/categories', { name: 'Sobremesas' });

      const again = await call(t, users.admin, 'POST', '/api/v1/categories', {
        name: 'Sobremesas',
      });

      expect(errorOf(again)).toEqual({ status: 409, code: 'POS_ERR_CONFLICT' });
    });

    it('audits a price change with the old and the new price', async () => {
      const product = await newProduct({ priceCents: 2000 });

      await call(t, users.manager, 'PATCH', `/api/v1/products/${product.id}`, {
        priceCents: 2450,
        name: 'Novo nome',
      });

      const audit = await auditEntries(t, { action: 'product.update', resourceId: product.id });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        event_type: 'data_modification',
        actor_id: users.manager.id,
      });
      expect(detailsOf(audit[0])).toEqual({
        fields: 'name,price_cents',
        oldPriceCents: 2000,
        newPriceCents: 2450,
      });
    });

    it('soft-deletes: gone from the catalog, audited, while order items keep their copy', async () => {
      const product = await newProduct({ name: 'Feijoada', priceCents: 4500 });
      await insertOrderWithItem(t, restaurant, users.cashier.id, product.id);

      const deleted = await call(t, users.admin, 'DELETE', `/api/v1/products/${product.id}`);
      expect(deleted.statusCode).toBe(204);

      const one = await call(t, users.cashier, 'GET', `/api/v1/products/${product.id}`);
      expect(errorOf(one)).toEqual({ status: 404, code: 'POS_ERR_NOT_FOUND' });
      const list = await call(t, users.cashier, 'GET', '/api/v1/products?search=Feijoada');
      expect(list.json().items).toEqual([]);
      const again = await call(t, users.admin, 'DELETE', `/api/v1/products/${product.id}`);
      expect(again.statusCode).toBe(404);

      const item = await t.context.database.kysely
        .selectFrom('order_items')
        .selectAll()
        .where('product_id', '=', product.id)
        .executeTakeFirstOrThrow();
      expect(item).toMatchObject({ product_name: 'Feijoada', unit_price_cents: 4500 });
      expect((await storedProduct(product.id))?.deleted_by).toBe(users.admin.id);
      const audit = await auditEntries(t, { action: 'product.delete', resourceId: product.id });
      expect(audit.map((entry) => entry.event_type)).toEqual(['object_deleted']);
    });
  });

  describe('security', () => {
    it.each([
      ['a restaurant id', { restaurantId: 'elsewhere' }],
      ['an id', { id: 'chosen-id' }],
      ['a deletion time', { deletedAt: '2020-01-01T00:00:00.000Z' }],
      ['an image name', { imageName: 'a1b2c3.jpg' }],
    ])('rejects a product body carrying %s and stores nothing', async (_label, extra) => {
      const before = await countProducts(t);

      const response = await call(t, users.admin, 'POST', '/api/v1/products', {
        name: 'Intruso',
        priceCents: 100,
        ...extra,
      });

      expect(errorOf(response)).toEqual({ status: 400, code: 'POS_ERR_VALIDATION' });
      expect(await countProducts(t)).toBe(before);
    });

    it.each([
      ['a negative price', { priceCents: -1 }],
      ['a price as text', { priceCents: '10' }],
      ['a fractional price', { priceCents: 10.5 }],
      ['a restaurant id', { restaurantId: 'elsewhere' }],
      ['nothing', {}],
    ])('rejects an update with %s and changes nothing', async (_label, body) => {
      const product = await newProduct();

      const response = await call(t, users.admin, 'PATCH', `/api/v1/products/${product.id}`, body);

      expect(errorOf(response)).toEqual({ status: 400, code: 'POS_ERR_VALIDATION' });
      expect(await storedProduct(product.id)).toMatchObject({
        price_cents: 2590,
        restaurant_id: restaurant.id,
      });
    });

    it("answers another restaurant's product as not found and changes nothing", async () => {
      const product = await newProduct();

      const read = await call(t, otherAdmin, 'GET', `/api/v1/products/${product.id}`);
      const patch = await call(t, otherAdmin, 'PATCH', `/api/v1/products/${product.id}`, {
        priceCents: 1,
      });
      const remove = await call(t, otherAdmin, 'DELETE', `/api/v1/products/${product.id}`);

      for (const response of [read, patch, remove]) {
        expect(errorOf(response)).toEqual({ status: 404, code: 'POS_ERR_NOT_FOUND' });
      }
      expect(await storedProduct(product.id)).toMatchObject({
        price_cents: 2590,
        deleted_at: null,
      });
      const list = await call(t, otherAdmin, 'GET', '/api/v1/products?limit=100');
      expect(list.json().items.map((p: ProductBody) => p.id)).not.toContain(product.id);
    });

    it("refuses to file a product under another restaurant's category", async () => {
      const foreign = await call(t, otherAdmin, 'POST', '/api/v1/categories', { name: 'Alheia' });
      const before = await countProducts(t);

      const response = await call(t, users.admin, 'POST', '/api/v1/products', {
        name: 'Contrabando',
        priceCents: 100,
        categoryId: foreign.json().id,
      });

      expect(errorOf(response)).toEqual({ status: 404, code: 'POS_ERR_NOT_FOUND' });
      expect(await countProducts(t)).toBe(before);
    });

    it('stores an ordinary name with quotes and dashes exactly as typed', async () => {
      const product = await newProduct({ name: "Bife do O'Brien -- sem cebola <grande>" });

      const response = await call(t, users.cashier, 'GET', `/api/v1/products/${product.id}`);

      expect(response.json().name).toBe("Bife do O'Brien -- sem cebola <grande>");
      expect(response.headers['content-type']).toMatch(/^application\/json/);
    });
  });
});

async function countProducts(t: TestApp): Promise<number> {
  const row = await t.context.database.kysely
    .selectFrom('products')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** An order with one item, written directly: orders belong to another module. */
async function insertOrderWithItem(
  t: TestApp,
  restaurant: Restaurant,
  userId: string,
  productId: string,
): Promise<void> {
  const now = t.clock.now().toISOString();
  const orderId = t.context.ids();
  await t.context.database.kysely
    .insertInto('orders')
    .values({
      id: orderId,
      restaurant_id: restaurant.id,
      number: Math.floor(Math.random() * 1_000_000),
      business_date: now.slice(0, 10),
      type: 'takeaway',
      table_label: null,
      customer_id: null,
      status: 'open',
      subtotal_cents: 4500,
      discount_cents: 0,
      service_fee_cents: 0,
      total_cents: 4500,
      paid_cents: 0,
      notes: null,
      cancel_reason: null,
      created_by: userId,
      created_at: now,
      updated_at: now,
      closed_at: null,
      deleted_at: null,
      deleted_by: null,
    })
    .execute();
  await t.context.database.kysely
    .insertInto('order_items')
    .values({
      id: t.context.ids(),
      restaurant_id: restaurant.id,
      order_id: orderId,
      product_id: productId,
      product_name: 'Feijoada',
      unit_price_cents: 4500,
      quantity: 1,
      notes: null,
      status: 'pending',
      sent_at: null,
      voided_at: null,
      voided_by: null,
      void_reason: null,
      created_by: userId,
      created_at: now,
      ticket_id: null,
      position: 1,
    })
    .execute();
}
