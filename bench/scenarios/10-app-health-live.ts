import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pino from 'pino';

import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/infra/logging/logger.js';
import { startServer } from '../../src/server.js';
import { BENCH_HOST, type BenchTarget } from '../scenario.js';

export const name = 'app-health-live';
export const description =
  'the Chefia app as production runs it (headers, request ids, file logging), GET /health/live';
export const compareTo = 'bare-hello';

export async function setup(): Promise<BenchTarget> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-bench-'));
  const config = loadConfig({
    NODE_ENV: 'production',
    CHEFIA_DATA_DIR: dataDir,
    CHEFIA_HOST: BENCH_HOST,
    CHEFIA_PORT: '0',
    // Plain HTTP on loopback: the comparison is with a plain-HTTP baseline.
    CHEFIA_TLS: 'false',
    CHEFIA_MASTER_KEY: randomBytes(32).toString('base64'),
  });
  // The real logger writing real lines, so that the cost of one log line per request counts.
  const destination = pino.destination({ dest: path.join(dataDir, 'server.log'), sync: false });
  const server = await startServer(config, {
    logger: createLogger(config.logging.level, destination),
  });

  return {
    url: `${server.origin}/health/live`,
    async close() {
      await server.close();
      destination.flushSync();
      destination.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
