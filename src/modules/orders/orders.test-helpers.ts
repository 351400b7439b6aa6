import type { InjectOptions, LightMyRequestResponse } from 'fastify';

import { buildTestApp, type TestApp, type TestAppOptions } from '../../../test/helpers/app.js';
import {
  nextTotp,
  seedRestaurant,
  seedUser,
  signIn,
  type SignedInUser,
} from '../../../test/helpers/auth.js';
import type { Restaurant } from '../restaurants/repository.js';
import type { Role } from '../../security/authz/permissions.js';

/**
 * A test app whose rate limits stay out of the way: one address signs in a dozen users and the
 * frozen clock never opens a new window. Rate limiting itself is tested where it lives.
 */
export function buildOrdersTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  return buildTestApp({
    ...options,
    env: {
      CHEFIA_RATE_LIMIT_AUTH: '100000/60',
      CHEFIA_RATE_LIMIT_DEFAULT: '100000/60',
      ...options.env,
    },
  });
}

export const STAFF_ROLES = ['admin', 'manager', 'cashier', 'waiter', 'kitchen'] as const;

/** A restaurant with one signed-in user per role, a menu and a customer login of its own. */
export interface OrderFixture {
  restaurant: Restaurant;
  users: Record<Role, SignedInUser>;
  /** A customer record, linked to `users.customer`. */
  customerId: string;
  products: { burger: string; soda: string; offMenu: string; deleted: string; lastOne: string };
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Calls the API as `user` (or anonymously with `null`). */
export function call(
  t: TestApp,
  user: { headers: Record<string, string> } | null,
  method: Method,
  url: string,
  payload?: unknown,
): Promise<LightMyRequestResponse> {
  const options: InjectOptions = { method, url, headers: { ...(user?.headers ?? {}) } };
  if (payload !== undefined) options.payload = payload as InjectOptions['payload'];
  return t.app.inject(options);
}

export async function seedOrderFixture(
  t: TestApp,
  options: { serviceFeeBasisPoints?: number } = {},
): Promise<OrderFixture> {
  const restaurant = await seedRestaurant(t);
  await t.context.database.kysely
    .updateTable('restaurants')
    .set({ service_fee_basis_points: options.serviceFeeBasisPoints ?? 1000 })
    .where('id', '=', restaurant.id)
    .execute();

  const users = {} as Record<Role, SignedInUser>;
  for (const role of STAFF_ROLES) users[role] = await signIn(t, restaurant, role);
  const customerId = await seedCustomer(t, restaurant);
  users.customer = await signInCustomer(t, restaurant, customerId);

  const admin = users.admin;
  const product = async (body: Record<string, unknown>) => {
    const response = await call(t, admin, 'POST', '/api/v1/products', body);
    if (response.statusCode !== 201) throw new Error(`product: ${response.body}`);
    return response.json<{ id: string }>().id;
  };
  const products = {
    burger: await product({ name: 'X-Burguer', priceCents: 2590 }),
    soda: await product({ name: 'Guaraná', priceCents: 650 }),
    offMenu: await product({ name: 'Feijoada', priceCents: 4990, available: false }),
    deleted: await product({ name: 'Moqueca', priceCents: 8900 }),
    lastOne: await product({ name: 'Pudim', priceCents: 1200, stockQuantity: 1 }),
  };
  const removed = await call(t, admin, 'DELETE', `/api/v1/products/${products.deleted}`);
  if (removed.statusCode !== 204) throw new Error(`product delete: ${removed.body}`);

  return { restaurant, users, customerId, products };
}

async function seedCustomer(t: TestApp, restaurant: Restaurant): Promise<string> {
  const id = t.context.ids();
  const now = t.clock.now().toISOString();
  await t.context.database.kysely
    .insertInto('customers')
    .values({
      id,
      restaurant_id: restaurant.id,
      name: 'Cliente de Teste',
      cpf_encrypted: null,
      cpf_index: null,
      cnpj_encrypted: null,
      cnpj_index: null,
      email_encrypted: null,
      email_index: null,
      phone_encrypted: null,
      phone_index: null,
      address_encrypted: null,
      birth_date_encrypted: null,
      created_by: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

/** A customer login linked to a customer record, signed in through the API. */
async function signInCustomer(
  t: TestApp,
  restaurant: Restaurant,
  customerId: string,
): Promise<SignedInUser> {
  const seeded = await seedUser(t, restaurant, 'customer');
  await t.context.database.kysely
    .updateTable('users')
    .set({ customer_id: customerId })
    .where('id', '=', seeded.id)
    .execute();
  const login = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { restaurant: restaurant.slug, username: seeded.username, password: seeded.password },
  });
  if (login.statusCode !== 200) throw new Error(`customer login: ${login.body}`);
  const { accessToken, refreshToken } = login.json<{ accessToken: string; refreshToken: string }>();
  return {
    id: seeded.id,
    username: seeded.username,
    role: 'customer',
    restaurantId: restaurant.id,
    restaurantSlug: restaurant.slug,
    password: seeded.password,
    accessToken,
    refreshToken,
    totpSecret: null,
    headers: { authorization: `Bearer ${accessToken}` },
  };
}

/** Asks a manager of the fixture for a one-time approval of `action` on `resourceId`. */
export async function managerApproval(
  t: TestApp,
  fixture: OrderFixture,
  requester: SignedInUser,
  action: 'void' | 'discount',
  resourceId: string,
  amountCents: number,
): Promise<string> {
  const manager = fixture.users.manager;
  const response = await call(t, requester, 'POST', '/api/v1/auth/approvals', {
    username: manager.username,
    password: manager.password,
    totp: nextTotp(t, manager.totpSecret ?? ''),
    action,
    resourceId,
    amountCents,
  });
  if (response.statusCode !== 201) throw new Error(`approval: ${response.body}`);
  return response.json<{ approvalToken: string }>().approvalToken;
}

export interface OrderBody {
  id: string;
  number: number;
  status: string;
  subtotalCents: number;
  discountCents: number;
  serviceFeeCents: number;
  totalCents: number;
  paidCents: number;
  items: { id: string; status: string; unitPriceCents: number; lineTotalCents: number }[];
}

/** Opens a dine-in order of one burger and two sodas as `user`. */
export async function openOrder(
  t: TestApp,
  fixture: OrderFixture,
  user: SignedInUser = fixture.users.waiter,
  body: Record<string, unknown> = {},
): Promise<OrderBody> {
  const response = await call(t, user, 'POST', '/api/v1/orders', {
    type: 'dine_in',
    tableLabel: 'Mesa 4',
    items: [
      { productId: fixture.products.burger, quantity: 1, notes: 'sem cebola' },
      { productId: fixture.products.soda, quantity: 2 },
    ],
    ...body,
  });
  if (response.statusCode !== 201) throw new Error(`open order: ${response.body}`);
  return response.json<OrderBody>();
}

/** The order row as stored, deleted or not. */
export async function storedOrder(t: TestApp, orderId: string) {
  return t.context.database.kysely
    .selectFrom('orders')
    .selectAll()
    .where('id', '=', orderId)
    .executeTakeFirst();
}
