/**
 * The Chefia app as production runs it (plain HTTP on loopback, logging to a file, the
 * production argon2id parameters) with one restaurant and two staff accounts without a second
 * factor: the server the identity benchmarks load. Rate limits and sweep detection stay on, set
 * above the load, since one load generator sends every login from one address.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pino from 'pino';

import { SYSTEM_ACTOR } from '../src/audit/events.js';
import { loadConfig } from '../src/config/index.js';
import { inTransaction } from '../src/infra/db/transaction.js';
import { createLogger } from '../src/infra/logging/logger.js';
import { createRestaurant } from '../src/modules/restaurants/service.js';
import { createUser } from '../src/modules/users/service.js';
import { startServer, type RunningServer } from '../src/server.js';
import { BENCH_HOST } from './scenario.js';

export const AUTH_PASSWORD = 'Fogao-Lenha-Quintal-4096';
const UNREACHED = '1000000000/60';

export interface AuthServer {
  server: RunningServer;
  origin: string;
  slug: string;
  restaurantId: string;
  /** A cashier whose logins the benchmarks time; never fails, never locks. */
  loginBody: string;
  /** Login JSON for `username` with `password`. */
  loginJson(username: string, password: string): string;
  /** Adds a cashier and returns its username. */
  addCashier(username: string): Promise<string>;
  close(): Promise<void>;
}

export async function startAuthServer(): Promise<AuthServer> {
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
    CHEFIA_BRUTE_FORCE_FAILURES: '1000',
    CHEFIA_BRUTE_FORCE_ACCOUNTS: '100',
    ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
  });
  const destination = pino.destination({ dest: path.join(dataDir, 'server.log'), sync: false });
  // No passwordHasher option: the production argon2id parameters (19 MiB, t=2, p=1).
  const server = await startServer(config, {
    logger: createLogger(config.logging.level, destination),
  });
  const { context } = server;

  const slug = `bench-${randomBytes(4).toString('hex')}`;
  const restaurant = await createRestaurant(context, { slug, name: 'Bancada' }, SYSTEM_ACTOR);
  const addCashier = async (username: string) => {
    await inTransaction(context.database, (tx) =>
      createUser(
        context,
        tx,
        restaurant,
        { username, displayName: 'Caixa', role: 'cashier', password: AUTH_PASSWORD },
        { actor: SYSTEM_ACTOR, temporaryPassword: false },
      ),
    );
    return username;
  };
  const loginJson = (username: string, password: string) =>
    JSON.stringify({ restaurant: slug, username, password });
  await addCashier('caixa');

  return {
    server,
    origin: server.origin,
    slug,
    restaurantId: restaurant.id,
    loginBody: loginJson('caixa', AUTH_PASSWORD),
    loginJson,
    addCashier,
    async close() {
      await server.close();
      destination.flushSync();
      destination.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
