import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { testMasterKey } from '../../../test/helpers/app.js';
import { closeContext, createContext } from '../../app/bootstrap.js';
import { SYSTEM_ACTOR } from '../../audit/events.js';
import { loadConfig } from '../../config/index.js';
import { ManualClock } from '../../core/clock.js';
import { SQLITE_FILE_NAME } from '../../infra/db/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { createLogger } from '../../infra/logging/logger.js';
import { createRestaurant } from '../../modules/restaurants/service.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');

// Each run starts a Node process with tsx; generous limits keep a loaded machine from failing it.
describe('chefia audit', { timeout: 60_000 }, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-audit-cli-'));
  const env = { CHEFIA_DATA_DIR: dataDir, CHEFIA_MASTER_KEY: testMasterKey() };
  let restaurantId: string;

  /** Runs `chefia` in a child process with only this suite's settings. */
  const chefia = (args: string[]): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: dataDir, NODE_ENV: 'test', ...env },
        timeout: 30_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });

  /** Two years of history written in-process with a frozen clock, as a server would have. */
  beforeAll(async () => {
    const clock = new ManualClock('2024-01-10T09:00:00.000Z');
    const config = loadConfig({ NODE_ENV: 'test', ...env });
    const context = await createContext(config, { logger: createLogger('silent'), clock });
    try {
      const restaurant = await createRestaurant(
        context,
        { slug: 'cantina', name: 'Cantina' },
        SYSTEM_ACTOR,
      );
      restaurantId = restaurant.id;
      for (const at of [
        '2024-01-11T09:00:00.000Z',
        '2024-02-01T09:00:00.000Z',
        '2026-01-01T09:00:00.000Z',
      ]) {
        clock.set(at);
        await inTransaction(context.database, (tx) =>
          context.audit.record(tx, {
            type: 'logout',
            action: 'auth.logout',
            outcome: 'success',
            restaurantId,
            actor: { type: 'user', id: 'user-1', role: 'cashier' },
          }),
        );
      }
    } finally {
      await closeContext(context);
    }
  }, 60_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('verifies every chain, one line each, and exits 0', async () => {
    const run = await chefia(['audit', 'verify']);

    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toEqual([`ok ${restaurantId} entries=4`]);
  });

  it('verifies one restaurant by slug, and fails on an unknown one', async () => {
    const [one, unknown] = await Promise.all([
      chefia(['audit', 'verify', '--restaurant', 'cantina']),
      chefia(['audit', 'verify', '--restaurant', 'nowhere']),
    ]);

    expect(one.code, one.stderr).toBe(0);
    expect(lines(one.stdout)).toEqual([`ok ${restaurantId} entries=4`]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('chefia: The resource was not found.');
  });

  it('refuses to archive entries younger than 12 months', async () => {
    const out = path.join(dataDir, 'recent.jsonl');
    const cutoff = new Date(Date.now() - 180 * 86_400_000).toISOString().slice(0, 10);

    const run = await chefia(['audit', 'archive', '--before', cutoff, '--out', out]);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^chefia: .*before must be at least 12 months in the past/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a cutoff that is not a date', async () => {
    const run = await chefia(['audit', 'archive', '--before', 'last-year', '--out', 'x.jsonl']);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/before must be a date/);
  });

  it('archives old entries to JSON lines and a manifest; the rest still verifies', async () => {
    const out = path.join(dataDir, 'audit-2024.jsonl');

    const run = await chefia(['audit', 'archive', '--before', '2024-06-01', '--out', out]);

    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ file: out, manifest: `${out}.manifest.json`, entryCount: 3 });
    expect(lines(readFileSync(out, 'utf8'))).toHaveLength(3);
    const manifest = JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8')) as {
      chains: unknown[];
    };
    expect(manifest.chains).toEqual([
      expect.objectContaining({ chainId: restaurantId, fromSeq: 1, throughSeq: 3 }),
    ]);

    const verify = await chefia(['audit', 'verify', '--restaurant', 'cantina']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(lines(verify.stdout)).toEqual([`ok ${restaurantId} entries=2`]);
  });

  describe('security', () => {
    it('exits 1 and names the first break of an edited chain', async () => {
      const database = new SQLite(path.join(dataDir, SQLITE_FILE_NAME));
      try {
        database.exec('DROP TRIGGER audit_events_no_update');
        database
          .prepare(
            "UPDATE audit_events SET actor_id = 'someone-else' WHERE chain_id = ? AND seq = 4",
          )
          .run(restaurantId);
      } finally {
        database.close();
      }

      const run = await chefia(['audit', 'verify']);

      expect(run.code).toBe(1);
      const output = lines(run.stdout);
      const broken = output.filter((line) => line.startsWith('BROKEN'));
      expect(broken).toHaveLength(1);
      expect(broken[0]).toMatch(/^BROKEN \S+ seq=4 reason=hash_mismatch entry=\S+$/);
      expect(broken[0]?.split(' ')[1]).toBe(restaurantId);
      expect(output.filter((line) => line.startsWith('ok system'))).toHaveLength(1);
    });
  });
});
