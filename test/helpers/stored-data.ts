import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { SQLITE_FILE_NAME } from '../../src/infra/db/database.js';
import type { TestApp } from './app.js';

const run = promisify(execFile);

/**
 * Everything the test app's database holds, as an attacker with its files or a dump (or a
 * backup) would read it: on SQLite the database file and its write-ahead log, which holds the
 * recent writes and so must not be empty for a scan to mean anything; on PostgreSQL every row as
 * `pg_dump --data-only` prints it. Suites scan it for data that must never be stored in clear.
 */
export async function storedData(t: TestApp): Promise<Buffer[]> {
  const url = t.context.config.database.url;
  if (url) {
    const { stdout } = await run('/usr/bin/pg_dump', ['--data-only', url], {
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'buffer',
    });
    return [stdout];
  }

  const file = path.join(t.dataDir, SQLITE_FILE_NAME);
  const wal = `${file}-wal`;
  if (!existsSync(wal) || readFileSync(wal).length === 0) {
    throw new Error('the SQLite write-ahead log is missing or empty: nothing recent to scan');
  }
  return [readFileSync(file), readFileSync(wal)];
}
