import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { testMasterKey } from '../../test/helpers/app.js';
import { loadConfig } from '../config/index.js';
import { openDatabase } from '../infra/db/database.js';
import { createLogger } from '../infra/logging/logger.js';
import { loadMasterKey } from '../security/keys/master-key.js';
import { startServer } from '../server.js';
import { SYSTEM_CHAIN } from './recorder.js';
import { verifyChain } from './verify.js';

describe('server lifecycle in the audit trail', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-lifecycle-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('records each start and stop on the system chain (PCI DSS 10.2.1.6)', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      CHEFIA_DATA_DIR: dataDir,
      CHEFIA_TLS: 'false',
      CHEFIA_PORT: '0',
      CHEFIA_MASTER_KEY: testMasterKey(),
    });

    const server = await startServer(config, { logger: createLogger('silent') });
    await server.close();

    const database = openDatabase({ dataDir });
    try {
      const entries = await database.kysely
        .selectFrom('audit_events')
        .selectAll()
        .where('chain_id', '=', SYSTEM_CHAIN)
        .orderBy('seq')
        .execute();
      expect(entries.map((entry) => [entry.action, entry.actor_type])).toEqual([
        ['system.start', 'system'],
        ['system.stop', 'system'],
      ]);
      expect(
        (await verifyChain(database.kysely, loadMasterKey(config).auditChainKey, SYSTEM_CHAIN)).ok,
      ).toBe(true);
    } finally {
      await database.close();
    }
  });
});
