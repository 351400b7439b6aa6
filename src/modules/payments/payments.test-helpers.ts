import { randomUUID } from 'node:crypto';

import type { LightMyRequestResponse } from 'fastify';

import type { TestApp } from '../../../test/helpers/app.js';
import { nextTotp, type SignedInUser } from '../../../test/helpers/auth.js';
import type { OrderStatus } from '../../infra/db/schema.js';
import type { Restaurant } from '../restaurants/repository.js';

let orderNumber = 0;

export interface SeedOrderOptions {
  totalCents?: number;
  status?: OrderStatus;
  deleted?: boolean;
}

/**
 * Inserts an order row directly, with every NOT NULL column of migration 004, so the payment
 * suites do not depend on the catalog or the order API.
 */
export async function seedOrder(
  t: TestApp,
  restaurant: Restaurant,
  createdBy: string,
  options: SeedOrderOptions = {},
): Promise<string> {
  orderNumber += 1;
  const id = randomUUID();
  const total = options.totalCents ?? 10_000;
  const now = t.clock.now().toISOString();
  await t.context.database.kysely
    .insertInto('orders')
    .values({
      id,
      restaurant_id: restaurant.id,
      number: orderNumber,
      business_date: now.slice(0, 10),
      type: 'dine_in',
      table_label: 'T1',
      customer_id: null,
      status: options.status ?? 'served',
      subtotal_cents: total,
      discount_cents: 0,
      service_fee_cents: 0,
      total_cents: total,
      paid_cents: 0,
      notes: null,
      cancel_reason: null,
      created_by: createdBy,
      created_at: now,
      updated_at: now,
      closed_at: null,
      deleted_at: options.deleted ? now : null,
      deleted_by: options.deleted ? createdBy : null,
    })
    .execute();
  return id;
}

export function newKey(): string {
  return `key_${randomUUID()}`;
}

export async function pay(
  t: TestApp,
  user: SignedInUser,
  orderId: string,
  payload: Record<string, unknown>,
  key: string | null = newKey(),
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/orders/${orderId}/payments`,
    headers: { ...user.headers, ...(key === null ? {} : { 'idempotency-key': key }) },
    payload,
  });
}

export async function refund(
  t: TestApp,
  user: SignedInUser,
  paymentId: string,
  payload: Record<string, unknown>,
  key: string = newKey(),
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/payments/${paymentId}/refunds`,
    headers: { ...user.headers, 'idempotency-key': key },
    payload,
  });
}

/** Cancels an order as `user`, with `reason`. */
export async function cancelOrder(
  t: TestApp,
  user: SignedInUser,
  orderId: string,
  reason: string,
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/orders/${orderId}/cancel`,
    headers: user.headers,
    payload: { reason },
  });
}

/** Opens a drawer for the user and returns the session id. */
export async function openDrawer(
  t: TestApp,
  user: SignedInUser,
  openingFloatCents = 10_000,
  terminalId = `pos-${randomUUID().slice(0, 8)}`,
): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/cashier/sessions',
    headers: user.headers,
    payload: { terminalId, openingFloatCents },
  });
  if (response.statusCode !== 201) throw new Error(`open drawer failed: ${response.body}`);
  return response.json<{ id: string }>().id;
}

/** A manager approval token, granted on the requester's terminal through the real API. */
export async function approve(
  t: TestApp,
  manager: SignedInUser,
  requester: SignedInUser,
  request: { action: string; resourceId: string; amountCents: number },
): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/approvals',
    headers: requester.headers,
    payload: {
      username: manager.username,
      password: manager.password,
      ...(manager.totpSecret ? { totp: nextTotp(t, manager.totpSecret) } : {}),
      ...request,
    },
  });
  if (response.statusCode !== 201) throw new Error(`approval failed: ${response.body}`);
  return response.json<{ approvalToken: string }>().approvalToken;
}

export async function orderRow(t: TestApp, orderId: string) {
  return t.context.database.kysely
    .selectFrom('orders')
    .selectAll()
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
}

export async function countRows(
  t: TestApp,
  table: 'payments' | 'refunds' | 'cashier_sessions' | 'cashier_movements' | 'idempotency_keys',
): Promise<number> {
  const row = await t.context.database.kysely
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
