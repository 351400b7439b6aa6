import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'chefia-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let dirCount = 0;
const freshDataDir = (): string => path.join(scratch, `data-${(dirCount += 1)}`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `chefia` as an operator would, in a child process with a minimal environment (nothing
 * inherited from the test run but PATH and HOME). A command that hangs is killed and fails.
 */
function chefia(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? scratch,
        NODE_ENV: 'test',
        ...env,
      },
      timeout: 20_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');

describe('chefia command line', () => {
  it('lists its commands in --help', async () => {
    const run = await chefia(['--help']);

    expect(run.code).toBe(0);
    const commands = lines(run.stdout.split('Commands:')[1] ?? '').map(
      (l) => l.trim().split(' ')[0],
    );
    expect(commands).toEqual(expect.arrayContaining(['serve', 'migrate', 'restaurant']));
  });

  it('migrates, then reports the schema up to date', async () => {
    const env = { CHEFIA_DATA_DIR: freshDataDir() };

    const first = await chefia(['migrate'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied: 001-foundation/);

    const second = await chefia(['migrate'], env);
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe('schema is up to date');
  });

  describe('restaurant create', () => {
    const env = { CHEFIA_DATA_DIR: freshDataDir() };

    it('adds a restaurant and prints it as JSON', async () => {
      const run = await chefia(
        ['restaurant', 'create', '--slug', 'cantina', '--name', 'Cantina'],
        env,
      );

      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ slug: 'cantina', name: 'Cantina' });
    });

    it('refuses a duplicate slug with one line on stderr and no stack trace', async () => {
      const run = await chefia(
        ['restaurant', 'create', '--slug', 'cantina', '--name', 'Other'],
        env,
      );

      expect(run.code).not.toBe(0);
      expect(run.stdout).toBe('');
      expect(lines(run.stderr)).toEqual(['chefia: A restaurant with this slug already exists.']);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    });

    it('refuses an invalid slug, naming the field', async () => {
      const run = await chefia(['restaurant', 'create', '--slug', 'Bad Slug!', '--name', 'X'], env);

      expect(run.code).not.toBe(0);
      expect(lines(run.stderr)).toHaveLength(1);
      expect(run.stderr).toMatch(/^chefia: .*\bslug\b/);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    });
  });

  it('refuses an unknown CHEFIA_ variable, naming it', async () => {
    const run = await chefia(['migrate'], {
      CHEFIA_DATA_DIR: freshDataDir(),
      CHEFIA_FOO: 'bar',
    });

    expect(run.code).not.toBe(0);
    expect(lines(run.stderr)).toEqual(['chefia: Unknown setting CHEFIA_FOO.']);
  });

  it('lets --data-dir win over CHEFIA_DATA_DIR', async () => {
    const fromEnv = freshDataDir();
    const fromFlag = freshDataDir();

    const run = await chefia(['migrate', '--data-dir', fromFlag], { CHEFIA_DATA_DIR: fromEnv });

    expect(run.code).toBe(0);
    expect(existsSync(path.join(fromFlag, 'chefia.db'))).toBe(true);
    expect(existsSync(fromEnv)).toBe(false);
  });

  it('refuses to serve in production without secrets, naming CHEFIA_MASTER_KEY', async () => {
    const run = await chefia(['serve', '--port', '0'], {
      NODE_ENV: 'production',
      CHEFIA_DATA_DIR: freshDataDir(),
    });

    expect(run.code).not.toBe(0);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toContain('CHEFIA_MASTER_KEY');
  });
});
