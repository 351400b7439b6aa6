import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { STAFF_PASSWORD } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries } from '../../../test/helpers/audit.js';
import { openDatabase } from '../../infra/db/database.js';
import { IDENTITY_TEST_ENV, postLogin } from './auth.test-helpers.js';
import { issueSetupSecret } from './setup.js';

const SETUP_UNAVAILABLE = {
  statusCode: 403,
  code: 'POS_ERR_SETUP_UNAVAILABLE',
  error: 'Forbidden',
  message: 'Setup is not available.',
};

function setupBody(secret: string, password = STAFF_PASSWORD) {
  return {
    secret,
    restaurant: { slug: 'cantina-primeira', name: 'Cantina Primeira' },
    admin: { username: 'dona.rosa', displayName: 'Dona Rosa', password },
  };
}

describe.each(testDialects())('first-run setup (%s)', (dialect) => {
  let t: TestApp;
  afterEach(() => t.close());

  const start = async () => {
    t = await buildTestApp({ dialect, env: { ...IDENTITY_TEST_ENV } });
  };
  const postSetup = (body: object) =>
    t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: body });
  const counts = async () => ({
    restaurants: (await t.context.database.kysely.selectFrom('restaurants').select('id').execute())
      .length,
    users: (await t.context.database.kysely.selectFrom('users').select('id').execute()).length,
  });

  it('issues a secret of at least 128 bits and stores only its hash', async () => {
    await start();

    const secret = await issueSetupSecret(t.context);

    expect(secret).not.toBeNull();
    expect(Buffer.from(secret!, 'base64url').length).toBeGreaterThanOrEqual(16);
    const state = await t.context.database.kysely.selectFrom('system_state').selectAll().execute();
    expect(JSON.stringify(state)).not.toContain(secret!);
  });

  it('creates the first restaurant and admin once; the secret then stops working', async () => {
    await start();
    const secret = (await issueSetupSecret(t.context))!;

    const first = await postSetup(setupBody(secret));
    const second = await postSetup({
      ...setupBody(secret),
      restaurant: { slug: 'outra', name: 'Outra' },
    });

    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      restaurant: { slug: 'cantina-primeira' },
      admin: { username: 'dona.rosa', role: 'admin', mustChangePassword: false },
    });
    expect(second.statusCode).toBe(403);
    expect(second.json()).toEqual(SETUP_UNAVAILABLE);
    expect(await counts()).toEqual({ restaurants: 1, users: 1 });
    expect(await issueSetupSecret(t.context)).toBeNull();
    const login = await postLogin(t, {
      restaurant: 'cantina-primeira',
      username: 'dona.rosa',
      password: STAFF_PASSWORD,
    });
    expect(login.json().mfaEnrolmentRequired).toBe(true);
    const [entry] = await auditEntries(t, { action: 'user.create' });
    expect(entry).toMatchObject({ actor_type: 'system' });
  });

  it('refuses a wrong secret with 403 and creates nothing', async () => {
    await start();
    const secret = (await issueSetupSecret(t.context))!;
    const wrong = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;

    const response = await postSetup(setupBody(wrong));

    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual(SETUP_UNAVAILABLE);
    expect(await counts()).toEqual({ restaurants: 0, users: 0 });
    expect((await postSetup(setupBody(secret))).statusCode).toBe(201);
  });

  it('refuses an expired secret the same way', async () => {
    await start();
    const secret = (await issueSetupSecret(t.context))!;

    t.clock.advance(60 * 60_000 + 1000);
    const response = await postSetup(setupBody(secret));

    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual(SETUP_UNAVAILABLE);
    expect(await counts()).toEqual({ restaurants: 0, users: 0 });
  });

  it('refuses setup when no secret was issued', async () => {
    await start();

    const response = await postSetup(setupBody('a'.repeat(32)));

    expect(response.json()).toEqual(SETUP_UNAVAILABLE);
  });

  it('keeps the secret when the admin password breaks the policy, reporting every rule', async () => {
    await start();
    const secret = (await issueSetupSecret(t.context))!;

    const weak = await postSetup(setupBody(secret, 'cantina'));

    expect(weak.statusCode).toBe(400);
    expect(weak.json().code).toBe('POS_ERR_PASSWORD_POLICY');
    expect(weak.json().fields.length).toBeGreaterThanOrEqual(3);
    expect(await counts()).toEqual({ restaurants: 0, users: 0 });
    expect((await postSetup(setupBody(secret))).statusCode).toBe(201);
  });

  it('lets only one of two concurrent setups with the secret succeed', async () => {
    await start();
    const secret = (await issueSetupSecret(t.context))!;

    const responses = await Promise.all([
      postSetup(setupBody(secret)),
      postSetup({ ...setupBody(secret), restaurant: { slug: 'segunda', name: 'Segunda' } }),
    ]);

    expect(responses.map((response) => response.statusCode).sort()).toEqual([201, 403]);
    expect(await counts()).toEqual({ restaurants: 1, users: 1 });
  });
});

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Runs `chefia` as an operator would, feeding `stdin` to it. */
function chefia(
  args: string[],
  env: Record<string, string>,
  stdin = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
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
    child.stdin.end(stdin);
  });
}

describe('chefia user create --password-stdin', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-user-cli-'));
  const env = { CHEFIA_DATA_DIR: dataDir };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const createUser = (username: string, password: string) =>
    chefia(
      [
        'user',
        'create',
        '--restaurant',
        'cantina',
        '--username',
        username,
        '--role',
        'admin',
        '--password-stdin',
      ],
      env,
      `${password}\n`,
    );

  async function storedUsers() {
    const database = openDatabase({ dataDir });
    try {
      return await database.kysely
        .selectFrom('users')
        .select(['username', 'role', 'password_hash', 'must_change_password'])
        .execute();
    } finally {
      await database.close();
    }
  }

  it('creates a user from a password read on standard input', async () => {
    const restaurant = await chefia(
      ['restaurant', 'create', '--slug', 'cantina', '--name', 'Cantina'],
      env,
    );
    expect(restaurant.code).toBe(0);

    const run = await createUser('gerente.geral', STAFF_PASSWORD);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ username: 'gerente.geral', role: 'admin' });
    expect(run.stdout + run.stderr).not.toContain(STAFF_PASSWORD);
    const users = await storedUsers();
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ username: 'gerente.geral', must_change_password: 0 });
    expect(users[0]!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  }, 60_000);

  it('exits non-zero with one line naming the policy for a weak password, creating nobody', async () => {
    const run = await createUser('fraco', 'cantina123');

    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^chefia: The password does not meet the policy\./);
    expect(run.stderr).not.toContain('cantina123');
    expect((await storedUsers()).map((user) => user.username)).not.toContain('fraco');
  }, 60_000);
});
