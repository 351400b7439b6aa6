/**
 * The Chefia app as production builds it (plain HTTP on loopback, logging to a file), with rate
 * limiting and intrusion detection switched on or off, so the protection scenarios can measure
 * what the two cost per request on the same routes. Limits are set far above the load: every
 * request is still counted and scanned, none is refused.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Type } from '@sinclair/typebox';
import pino from 'pino';

import { closeContext, createContext } from '../src/app/bootstrap.js';
import { SYSTEM_ACTOR } from '../src/audit/events.js';
import { loadConfig } from '../src/config/index.js';
import { buildApp, type App } from '../src/http/app.js';
import { inTransaction } from '../src/infra/db/transaction.js';
import { createLogger } from '../src/infra/logging/logger.js';
import { createRestaurant } from '../src/modules/restaurants/service.js';
import { createUser } from '../src/modules/users/service.js';
import type { ProtectionOptions } from '../src/security/protection/install.js';
import { BENCH_HOST } from './scenario.js';

export interface ProtectionServer {
  app: App;
  origin: string;
  authorization: string;
  close(): Promise<void>;
}

const PASSWORD = 'Fogao-Lenha-Quintal-4096';
const UNREACHED = '1000000000/60';

/** An order-shaped body with the text a restaurant really sends: apostrophes, dashes, OR. */
export const ORDER_NOTES_BODY = JSON.stringify({
  tableLabel: 'Mesa 7',
  notes: "Mesa do O'Brien -- sem pressa",
  items: [
    { productId: 'p-x-burguer', quantity: 2, notes: 'sem cebola -- e OR extra queijo' },
    { productId: 'p-guarana', quantity: 3, notes: 'gelado, sem gelo' },
    { productId: 'p-batata', quantity: 1, notes: "molho da casa (o 'especial')" },
    { productId: 'p-pudim', quantity: 2, notes: '1/2 porção; sem calda' },
    { productId: 'p-cafe', quantity: 4, notes: 'no onions -- and extra cheese' },
  ],
});

const closed = { additionalProperties: false } as const;
const OrderNotesBody = Type.Object(
  {
    tableLabel: Type.String({ maxLength: 20 }),
    notes: Type.String({ maxLength: 280 }),
    items: Type.Array(
      Type.Object(
        {
          productId: Type.String({ maxLength: 64 }),
          quantity: Type.Integer({ minimum: 1, maximum: 99 }),
          notes: Type.String({ maxLength: 140 }),
        },
        closed,
      ),
      { maxItems: 50 },
    ),
  },
  closed,
);

export async function startProtectionServer(
  protection: ProtectionOptions,
): Promise<ProtectionServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-bench-'));
  const config = loadConfig({
    NODE_ENV: 'production',
    CHEFIA_DATA_DIR: dataDir,
    CHEFIA_HOST: BENCH_HOST,
    CHEFIA_PORT: '0',
    CHEFIA_TLS: 'false',
    CHEFIA_MASTER_KEY: randomBytes(32).toString('base64'),
    CHEFIA_RATE_LIMIT_DEFAULT: UNREACHED,
    CHEFIA_RATE_LIMIT_AUTH: UNREACHED,
  });
  const destination = pino.destination({ dest: path.join(dataDir, 'server.log'), sync: false });
  const context = await createContext(config, {
    logger: createLogger(config.logging.level, destination),
  });
  const app = await buildApp(context, { protection });
  // Validates and answers without touching the database, so the figure is the protection's.
  app.post(
    '/api/v1/bench/order-notes',
    { config: { access: { public: true } }, schema: { body: OrderNotesBody } },
    async (request) => ({ accepted: request.body.items.length }),
  );
  const origin = await app.listen({ host: BENCH_HOST, port: 0 });

  const slug = `bench-${randomBytes(4).toString('hex')}`;
  const restaurant = await createRestaurant(context, { slug, name: 'Bancada' }, SYSTEM_ACTOR);
  await inTransaction(context.database, (tx) =>
    createUser(
      context,
      tx,
      restaurant,
      { username: 'garcom', displayName: 'Garçom', role: 'waiter', password: PASSWORD },
      { actor: SYSTEM_ACTOR, temporaryPassword: false },
    ),
  );
  const login = await fetch(`${origin}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ restaurant: slug, username: 'garcom', password: PASSWORD }),
  });
  if (login.status !== 200) throw new Error(`bench login failed with ${login.status}`);
  const { accessToken } = (await login.json()) as { accessToken: string };

  return {
    app,
    origin,
    authorization: `Bearer ${accessToken}`,
    async close() {
      await app.close();
      await closeContext(context);
      destination.flushSync();
      destination.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
