import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { openDatabase } from '../../infra/db/database.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function chefia(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', ...env },
      timeout: 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('chefia keys rotate', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-keys-cli-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function storedKeys() {
    const database = openDatabase({ dataDir });
    try {
      return await database.kysely
        .selectFrom('signing_keys')
        .select(['kid', 'retired_at', 'private_jwk'])
        .orderBy('created_at')
        .execute();
    } finally {
      await database.close();
    }
  }

  it('adds a signing key, prints its kid and retires the previous one without deleting it', async () => {
    const first = await chefia(['keys', 'rotate'], { CHEFIA_DATA_DIR: dataDir });
    const second = await chefia(['keys', 'rotate'], { CHEFIA_DATA_DIR: dataDir });

    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    const firstKid = (JSON.parse(first.stdout) as { kid: string }).kid;
    const secondKid = (JSON.parse(second.stdout) as { kid: string }).kid;
    expect(secondKid).not.toBe(firstKid);
    const keys = await storedKeys();
    const active = keys.filter((key) => key.retired_at === null);
    expect(active.map((key) => key.kid)).toEqual([secondKid]);
    expect(keys.map((key) => key.kid)).toContain(firstKid);
    expect(keys.every((key) => !key.private_jwk.includes('"d"'))).toBe(true);
  }, 60_000);
});
