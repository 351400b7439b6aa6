import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pino from 'pino';

import { SYSTEM_ACTOR } from '../../src/audit/events.js';
import { loadConfig } from '../../src/config/index.js';
import { inTransaction } from '../../src/infra/db/transaction.js';
import { createLogger } from '../../src/infra/logging/logger.js';
import { createRestaurant } from '../../src/modules/restaurants/service.js';
import { createUser } from '../../src/modules/users/service.js';
import { startServer } from '../../src/server.js';
import { BENCH_HOST, type BenchTarget } from '../scenario.js';

export const name = 'app-payment-cash';
export const description =
  'authenticated POST /api/v1/orders/:id/payments, cash, a new Idempotency-Key each: token ' +
  'check, permission, rate limit, card-data guard, validation, key claim, one durable ' +
  'transaction with drawer check, payment, order balance, audit entry and stored response';
export const compareTo = 'bare-durable-insert';

const PASSWORD = 'Fogao-Lenha-Quintal-8192';
/** Large enough that the benchmark never pays the order off: 1 real per payment. */
const ORDER_TOTAL_CENTS = 2_000_000_000;

export async function setup(): Promise<BenchTarget> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-bench-'));
  const config = loadConfig({
    NODE_ENV: 'production',
    CHEFIA_DATA_DIR: dataDir,
    CHEFIA_HOST: BENCH_HOST,
    CHEFIA_PORT: '0',
    CHEFIA_TLS: 'false',
    CHEFIA_MASTER_KEY: randomBytes(32).toString('base64'),
    // The limiter still runs on every request; the window is only wide enough for the load.
    CHEFIA_RATE_LIMIT_PAYMENT: '100000000/60',
    ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
  });
  const destination = pino.destination({ dest: path.join(dataDir, 'server.log'), sync: false });
  const server = await startServer(config, {
    logger: createLogger(config.logging.level, destination),
  });
  const { context } = server;

  const slug = `bench-${randomBytes(4).toString('hex')}`;
  const restaurant = await createRestaurant(context, { slug, name: 'Bancada' }, SYSTEM_ACTOR);
  const cashier = await inTransaction(context.database, (tx) =>
    createUser(
      context,
      tx,
      restaurant,
      { username: 'caixa', displayName: 'Caixa', role: 'cashier', password: PASSWORD },
      { actor: SYSTEM_ACTOR, temporaryPassword: false },
    ),
  );

  // One pre-created order with a total no run can cover: every request is a partial payment, so
  // the URL stays the same and only the key differs.
  const now = new Date().toISOString();
  const orderId = context.ids();
  await context.database.kysely
    .insertInto('orders')
    .values({
      id: orderId,
      restaurant_id: restaurant.id,
      number: 1,
      business_date: now.slice(0, 10),
      type: 'takeaway',
      table_label: null,
      customer_id: null,
      status: 'served',
      subtotal_cents: ORDER_TOTAL_CENTS,
      discount_cents: 0,
      service_fee_cents: 0,
      total_cents: ORDER_TOTAL_CENTS,
      paid_cents: 0,
      notes: null,
      cancel_reason: null,
      created_by: cashier.id,
      created_at: now,
      updated_at: now,
      closed_at: null,
      deleted_at: null,
      deleted_by: null,
    })
    .execute();

  const login = await fetch(`${server.origin}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ restaurant: slug, username: 'caixa', password: PASSWORD }),
  });
  if (login.status !== 200) throw new Error(`bench login failed with ${login.status}`);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };

  const drawer = await fetch(`${server.origin}/api/v1/cashier/sessions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ terminalId: 'caixa-1', openingFloatCents: 10_000 }),
  });
  if (drawer.status !== 201) throw new Error(`bench drawer failed with ${drawer.status}`);

  return {
    url: `${server.origin}/api/v1/orders/${orderId}/payments`,
    method: 'POST',
    // autocannon writes a fresh id over `[<id>]` in every request.
    headers: { ...headers, 'idempotency-key': 'bench-[<id>]' },
    body: JSON.stringify({ method: 'cash', amountCents: 100, tenderedCents: 200 }),
    idReplacement: true,
    async close() {
      await server.close();
      destination.flushSync();
      destination.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
