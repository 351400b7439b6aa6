import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { STAFF_PASSWORD } from '../../../test/helpers/auth.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SECRET_LINE = /POST (https:\/\/127\.0\.0\.1:\d+)\/api\/v1\/setup {2}\(secret: ([\w-]+)\)/;

/** `chefia serve` on a fresh data directory, as an operator starts it the first time. */
function serve(dataDir: string): ChildProcessWithoutNullStreams {
  return spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--host', '127.0.0.1', '--port', '0'],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dataDir,
        NODE_ENV: 'development',
        CHEFIA_DATA_DIR: dataDir,
      },
    },
  );
}

/**
 * Collects everything the server writes (log lines and the operator's banner alike) and resolves
 * once `pattern` matches its standard error.
 */
function outputUntil(child: ChildProcessWithoutNullStreams, pattern: RegExp) {
  const output = { text: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`chefia serve exited with ${String(code)} before printing:\n${output.text}`);
  });
  let stderr = '';
  const matched = new Promise<RegExpExecArray>((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      output.text += chunk.toString();
      const match = pattern.exec(stderr);
      if (match) resolve(match);
    });
  });
  return { output, matched: Promise.race([matched, exited]) };
}

/** POSTs JSON over HTTPS, trusting only the certificate the server generated. */
function postJson(
  url: string,
  ca: Buffer,
  body: object,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      ca,
      headers: { 'content-type': 'application/json' },
    });
    req.once('error', reject);
    req.once('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.once('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    req.end(JSON.stringify(body));
  });
}

describe('chefia serve on a fresh data directory', () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints a one-time setup secret outside the log, which creates the first admin once', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-serve-'));
    child = serve(dataDir);

    const { output, matched } = outputUntil(child, SECRET_LINE);
    const match = await matched;
    const [, origin = '', secret = ''] = match;
    const ca = readFileSync(path.join(dataDir, 'tls-cert.pem'));
    const setup = {
      secret,
      restaurant: { slug: 'cantina-primeira', name: 'Cantina Primeira' },
      admin: { username: 'dona.rosa', displayName: 'Dona Rosa', password: STAFF_PASSWORD },
    };

    const first = await postJson(`${origin}/api/v1/setup`, ca, setup);
    const replay = await postJson(`${origin}/api/v1/setup`, ca, {
      ...setup,
      restaurant: { slug: 'outra', name: 'Outra' },
    });

    expect(first.status).toBe(201);
    expect(JSON.parse(first.body)).toMatchObject({ admin: { username: 'dona.rosa' } });
    expect(replay.status).toBe(403);

    // Log lines are buffered until shutdown: stop the server, then read everything it wrote.
    child.kill('SIGTERM');
    await once(child, 'exit');
    expect(output.text).toContain('generated a development master key');
    expect(output.text.split(secret)).toHaveLength(2);
  });
});
