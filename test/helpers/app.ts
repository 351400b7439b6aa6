import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { closeContext, createContext } from '../../src/app/bootstrap.js';
import type { AppContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/config/index.js';
import { ManualClock } from '../../src/core/clock.js';
import type { DialectName } from '../../src/infra/db/database.js';
import { createLogger, type Logger } from '../../src/infra/logging/logger.js';
import { buildApp, type App } from '../../src/http/app.js';
import {
  TEST_HASH_PARAMS,
  createPasswordHasher,
  type PasswordHasher,
} from '../../src/security/passwords/index.js';
import { TEST_REDIS_URL, createPostgresDatabase } from './database.js';

export interface TestAppOptions {
  dialect?: DialectName;
  logger?: Logger;
  clock?: ManualClock;
  /** Extra settings, as environment variables. */
  env?: Record<string, string>;
  /** Connect to the test Redis (TEST_REDIS_URL). */
  redis?: boolean;
  /** Registers extra routes before the app is ready (for testing cross-cutting behaviour). */
  routes?: (app: App) => void | Promise<void>;
  /** Password hashing (default: cheap argon2id); pass a `countingHasher` to count the work. */
  passwordHasher?: PasswordHasher;
  /**
   * A second process on another app's database (same data directory or PostgreSQL database, same
   * master key), as when several servers share one deployment. The other app owns the database:
   * closing this one leaves it in place. `dialect` is taken from the other app.
   */
  sameDatabaseAs?: TestApp;
}

export interface TestApp {
  app: App;
  context: AppContext;
  clock: ManualClock;
  dataDir: string;
  close(): Promise<void>;
}

/** Limits no feature suite reaches, so only the rate-limit tests meet a 429. */
export const GENEROUS_RATE_LIMITS = {
  CHEFIA_RATE_LIMIT_DEFAULT: '1000000/60',
  CHEFIA_RATE_LIMIT_AUTH: '1000000/300',
  CHEFIA_RATE_LIMIT_PAYMENT: '1000000/60',
  CHEFIA_RATE_LIMIT_REPORT: '1000000/60',
} as const;

/** A random, valid master key for one test run. */
export function testMasterKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * The one fixture for HTTP tests: a fresh database (SQLite in a temp dir, or a throw-away
 * PostgreSQL database), a frozen clock, and the full application as production builds it, used
 * through `app.inject`.
 */
export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const shared = options.sameDatabaseAs?.context.config;
  const dataDir = shared?.dataDir ?? mkdtempSync(path.join(tmpdir(), 'chefia-test-'));
  const postgres =
    !shared && options.dialect === 'postgres' ? await createPostgresDatabase() : null;
  const clock = options.clock ?? new ManualClock();
  const databaseUrl = shared ? shared.database.url : postgres?.url;

  const config = loadConfig({
    NODE_ENV: 'test',
    CHEFIA_DATA_DIR: dataDir,
    CHEFIA_TLS: 'false',
    CHEFIA_MASTER_KEY: shared?.masterKey.value ?? testMasterKey(),
    CHEFIA_LOG_LEVEL: 'silent',
    // Feature suites sign in and call far more often than SPEC 5.4 allows one client; the
    // rate-limit suite sets the real limits through `env`.
    ...GENEROUS_RATE_LIMITS,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(options.redis && TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL } : {}),
    ...options.env,
  });
  const context = await createContext(config, {
    logger: options.logger ?? createLogger('silent'),
    clock,
    // Cheap argon2id parameters keep the suite fast; production parameters are benchmarked.
    passwordHasher: options.passwordHasher ?? createPasswordHasher(TEST_HASH_PARAMS),
  });
  const app = await buildApp(context);
  await options.routes?.(app);
  await app.ready();

  return {
    app,
    context,
    clock,
    dataDir,
    async close() {
      await app.close();
      await closeContext(context);
      await postgres?.drop();
      if (!shared) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A request id of its own for a test request, kept by the server every time: a UUID's hex digits
 * without its dashes never read as a card number or CPF, which the server would refuse as an id.
 */
export function uniqueRequestId(prefix: string): string {
  return `${prefix}-${randomUUID().replaceAll('-', '')}`;
}
