/**
 * The Chefia app as production runs it (plain HTTP on loopback, logging to a file), with one
 * restaurant, a waiter signed in through the real login, and a two-product menu: the server the
 * order scenarios load. Shared by the scenarios, so it lives outside `scenarios/`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pino from 'pino';

import type { AppContext } from '../src/app/context.js';
import { SYSTEM_ACTOR } from '../src/audit/events.js';
import { loadConfig } from '../src/config/index.js';
import { inTransaction } from '../src/infra/db/transaction.js';
import { createLogger } from '../src/infra/logging/logger.js';
import { createRestaurant } from '../src/modules/restaurants/service.js';
import { createUser } from '../src/modules/users/service.js';
import { insertProducts } from '../test/helpers/products.js';
import { startServer, type RunningServer } from '../src/server.js';
import { BENCH_HOST } from './scenario.js';

export interface OrderServer {
  server: RunningServer;
  origin: string;
  headers: Record<string, string>;
  productIds: [string, string];
  close(): Promise<void>;
}

const PASSWORD = 'Fogao-Lenha-Quintal-4096';

export async function startOrderServer(): Promise<OrderServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-bench-'));
  const config = loadConfig({
    NODE_ENV: 'production',
    CHEFIA_DATA_DIR: dataDir,
    CHEFIA_HOST: BENCH_HOST,
    CHEFIA_PORT: '0',
    CHEFIA_TLS: 'false',
    CHEFIA_MASTER_KEY: randomBytes(32).toString('base64'),
    // The limiter still runs on every request; the window is only wide enough for the load.
    CHEFIA_RATE_LIMIT_DEFAULT: '100000000/60',
    ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
  });
  const destination = pino.destination({ dest: path.join(dataDir, 'server.log'), sync: false });
  const server = await startServer(config, {
    logger: createLogger(config.logging.level, destination),
  });
  const { context } = server;

  const slug = `bench-${randomBytes(4).toString('hex')}`;
  const restaurant = await createRestaurant(context, { slug, name: 'Bancada' }, SYSTEM_ACTOR);
  await context.database.kysely
    .updateTable('restaurants')
    .set({ service_fee_basis_points: 1000 })
    .where('id', '=', restaurant.id)
    .execute();
  await inTransaction(context.database, (tx) =>
    createUser(
      context,
      tx,
      restaurant,
      { username: 'garcom', displayName: 'Garçom', role: 'waiter', password: PASSWORD },
      { actor: SYSTEM_ACTOR, temporaryPassword: false },
    ),
  );

  const productIds = await insertMenu(context, restaurant.id);

  const login = await fetch(`${server.origin}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ restaurant: slug, username: 'garcom', password: PASSWORD }),
  });
  if (login.status !== 200) throw new Error(`bench login failed with ${login.status}`);
  const { accessToken } = (await login.json()) as { accessToken: string };

  return {
    server,
    origin: server.origin,
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    productIds,
    async close() {
      await server.close();
      destination.flushSync();
      destination.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Puts the two products the order scenarios sell on `restaurantId`'s menu. */
export async function insertMenu(
  context: AppContext,
  restaurantId: string,
): Promise<[string, string]> {
  const productIds: [string, string] = [context.ids(), context.ids()];
  await insertProducts(context.database.kysely, restaurantId, [
    { id: productIds[0], name: 'X-Burguer', priceCents: 2590 },
    { id: productIds[1], name: 'Guaraná', priceCents: 650 },
  ]);
  return productIds;
}

/** The body of a two-item dine-in order. */
export function twoItemOrder(productIds: readonly [string, string]): string {
  return JSON.stringify({
    type: 'dine_in',
    tableLabel: 'Mesa 7',
    items: [
      { productId: productIds[0], quantity: 1, notes: 'sem cebola' },
      { productId: productIds[1], quantity: 2 },
    ],
  });
}
