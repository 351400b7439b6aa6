import { randomBytes } from 'node:crypto';
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
import { TEST_HASH_PARAMS, createPasswordHasher } from '../../src/security/passwords/index.js';
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
}

export interface TestApp {
  app: App;
  context: AppContext;
  clock: ManualClock;
  dataDir: string;
  close(): Promise<void>;
}

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
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-test-'));
  const postgres = options.dialect === 'postgres' ? await createPostgresDatabase() : null;
  const clock = options.clock ?? new ManualClock();

  const config = loadConfig({
    NODE_ENV: 'test',
    CHEFIA_DATA_DIR: dataDir,
    CHEFIA_TLS: 'false',
    CHEFIA_MASTER_KEY: testMasterKey(),
    CHEFIA_LOG_LEVEL: 'silent',
    ...(postgres ? { DATABASE_URL: postgres.url } : {}),
    ...(options.redis && TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL } : {}),
    ...options.env,
  });
  const context = await createContext(config, {
    logger: options.logger ?? createLogger('silent'),
    clock,
    // Cheap argon2id parameters keep the suite fast; production parameters are benchmarked.
    passwordHasher: createPasswordHasher(TEST_HASH_PARAMS),
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
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
