import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'chefia-data-keys-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `chefia` in a child process with a minimal environment, as an operator would. */
function chefia(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: scratch, NODE_ENV: 'test', ...env },
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

// Each run starts a fresh process through tsx, which takes seconds on a busy machine.
describe('chefia keys rotate-data-key', { timeout: 60_000 }, () => {
  const env = { CHEFIA_DATA_DIR: path.join(scratch, 'data') };

  it('is listed under the keys command', async () => {
    const run = await chefia(['keys', '--help'], env);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('rotate-data-key');
  });

  it('adds a key, re-encrypts what is stored, retires the old key and prints a summary', async () => {
    const first = await chefia(['keys', 'rotate-data-key', '--propagation-seconds', '0'], env);

    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      keyId: 'k2',
      resumed: false,
      status: 'completed',
      remaining: 0,
      retiredKeyIds: ['k1'],
    });
    expect(first.stderr).toContain('signing_keys.private_jwk: 1 re-encrypted');

    const second = await chefia(['keys', 'rotate-data-key', '--propagation-seconds', '0'], env);
    expect(JSON.parse(second.stdout)).toMatchObject({ keyId: 'k3', retiredKeyIds: ['k2'] });
  }, 90_000);

  it('refuses a bad flag with one line and no stack trace', async () => {
    const run = await chefia(['keys', 'rotate-data-key', '--batch-size', 'lots'], env);

    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toEqual([
      'chefia: --batch-size must be a whole number from 1 to 10000.',
    ]);
  });
});
