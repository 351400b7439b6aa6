import { randomBytes } from 'node:crypto';

import pg from 'pg';

import type { DialectName } from '../../src/infra/db/database.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL;

let warnedPostgres = false;

/**
 * The dialects a database suite runs on: SQLite always, PostgreSQL when TEST_DATABASE_URL is set
 * (`.ci/run` sets it). A skipped PostgreSQL run is said out loud, never silent.
 */
export function testDialects(): DialectName[] {
  if (TEST_DATABASE_URL) return ['sqlite', 'postgres'];
  if (!warnedPostgres) {
    console.warn('PostgreSQL suites SKIPPED: set TEST_DATABASE_URL to run them');
    warnedPostgres = true;
  }
  return ['sqlite'];
}

/** True when Redis suites can run; says so when they are skipped. */
export function redisAvailable(): boolean {
  if (TEST_REDIS_URL) return true;
  console.warn('Redis suites SKIPPED: set TEST_REDIS_URL to run them');
  return false;
}

/**
 * Creates a throw-away PostgreSQL database for one suite, so suites running in parallel never
 * see each other's rows. Returns its URL and a function that drops it.
 */
export async function createPostgresDatabase(): Promise<{
  url: string;
  drop: () => Promise<void>;
}> {
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
  const name = `chefia_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();

  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
