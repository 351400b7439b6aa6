import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Every row of a PostgreSQL database as `pg_dump --data-only` prints it: what an attacker holding
 * a dump (or a backup) would read. Suites scan it for data that must never be stored in clear.
 */
export async function dumpPostgresData(url: string): Promise<Buffer> {
  const { stdout } = await run('/usr/bin/pg_dump', ['--data-only', url], {
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'buffer',
  });
  return stdout;
}
