import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { nextTotp, seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import { call } from '../../modules/catalog/catalog.test-helpers.js';
import type { Restaurant } from '../../modules/restaurants/repository.js';
import { decryptField, encryptField, type KeyRing } from '../crypto/index.js';
import { addDataKey } from './data-key-ring.js';
import { rotateDataKey } from './data-key-rotation.js';
import { ENCRYPTED_COLUMNS, encryptionContextOf } from './encrypted-columns.js';
import {
  countValuesNotUnderKey,
  countValuesUnderKey,
  keyPrefixPattern,
  readBatch,
  replaceIfUnchanged,
} from './encrypted-values.js';
import { installKeyRingRefresh } from './key-ring-refresh.js';

const VALID_CPFS = ['52998224725', '71460238001', '12345678909', '11144477735', '39053344705'];

describe('key usage patterns', () => {
  it('escapes LIKE wildcards in a key id and ends at the dot', () => {
    expect(keyPrefixPattern('k1')).toBe('v1.k1.%');
    expect(keyPrefixPattern('k_1')).toBe('v1.k\\_1.%');
  });

  it('registers every customer PII column, the MFA secret and the signing keys', () => {
    const registered = ENCRYPTED_COLUMNS.map((c) => `${c.table}.${c.column}`);
    expect(registered).toEqual(
      expect.arrayContaining([
        'users.mfa_secret',
        'signing_keys.private_jwk',
        'customers.cpf_encrypted',
        'customers.cnpj_encrypted',
        'customers.email_encrypted',
        'customers.phone_encrypted',
        'customers.address_encrypted',
        'customers.birth_date_encrypted',
      ]),
    );
    expect(encryptionContextOf('users', 'mfa_secret')).toBe('users.mfa_secret');
    expect(() => encryptionContextOf('users', 'username')).toThrow(/not a registered/);
  });
});

describe.each(testDialects())('data-key rotation (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  let admin: SignedInUser;
  const cpfs: string[] = [];

  beforeAll(async () => {
    t = await buildTestApp({ dialect });
    restaurant = await seedRestaurant(t);
    admin = await signIn(t, restaurant, 'admin');
    for (const cpf of VALID_CPFS) {
      const response = await call(t, admin, 'POST', '/api/v1/customers', {
        name: `Cliente ${cpf}`,
        cpf,
        email: `c${cpf}@example.com`,
        phone: '11987654321',
        birthDate: '1985-03-02',
      });
      expect(response.statusCode).toBe(201);
      cpfs.push(cpf);
    }
  });
  afterAll(() => t.close());

  const db = () => t.context.database.kysely;
  const keyStatus = async () =>
    Object.fromEntries(
      (await db().selectFrom('data_keys').select(['id', 'status']).execute()).map((k) => [
        k.id,
        k.status,
      ]),
    );
  const storedValues = async () => {
    let total = 0;
    for (const key of t.context.keyRing.ids()) total += await countValuesUnderKey(db(), key);
    return total;
  };
  const revealed = async (cpf: string) => {
    const found = await call(t, admin, 'POST', '/api/v1/customers/lookup', { cpf });
    const [item] = found.json().items as { id: string }[];
    const full = await call(t, admin, 'GET', `/api/v1/customers/${item!.id}?reveal=true`);
    return full.json<{ cpf: string; email: string; phone: string; birthDate: string }>();
  };

  it('re-encrypts every registered column under a new key and retires the old one', async () => {
    const oldKey = t.context.keyRing.activeKeyId;
    const before = await storedValues();
    expect(before).toBeGreaterThan(VALID_CPFS.length * 4);

    const report = await rotateDataKey(t.context, { batchSize: 2, propagationMs: 0 });

    expect(report).toMatchObject({
      status: 'completed',
      resumed: false,
      rowsReencrypted: before,
      remaining: 0,
      retiredKeyIds: [oldKey],
    });
    expect(t.context.keyRing.activeKeyId).toBe(report.keyId);
    expect(await countValuesNotUnderKey(db(), report.keyId)).toBe(0);
    expect(await keyStatus()).toMatchObject({ [oldKey]: 'retired', [report.keyId]: 'active' });
    expect(await revealed('52998224725')).toMatchObject({
      cpf: '529.982.247-25',
      email: 'c52998224725@example.com',
      phone: '+5511987654321',
      birthDate: '1985-03-02',
    });

    const rotate = await auditEntries(t, { action: 'data_key.rotate', resourceId: report.keyId });
    expect(rotate[0]).toMatchObject({ event_type: 'configuration_change', actor_type: 'system' });
    expect(detailsOf(rotate[0])).toMatchObject({ replaces: oldKey, rotationId: report.rotationId });
    expect(await auditEntries(t, { action: 'data_key.retire', resourceId: oldKey })).toHaveLength(
      1,
    );
    expect(
      detailsOf(
        (await auditEntries(t, { action: 'data_key.reencrypt', resourceId: report.keyId }))[0],
      ),
    ).toEqual({
      rotationId: report.rotationId,
      rowsReencrypted: before,
      retiredCount: 1,
    });
  });

  it('keeps MFA and token signing working on re-encrypted secrets', async () => {
    t.clock.advance(120_000); // past the signing-key cache, so the private key is decrypted again

    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: {
        restaurant: restaurant.slug,
        username: admin.username,
        password: admin.password,
        totp: nextTotp(t, admin.totpSecret!),
      },
    });

    expect(login.statusCode).toBe(200);
    expect(login.json().accessToken).toEqual(expect.any(String));
  });

  it('encrypts new writes with the new key at once', async () => {
    const response = await call(t, admin, 'POST', '/api/v1/customers', {
      name: 'Nova',
      email: 'nova@example.com',
    });

    const row = await db()
      .selectFrom('customers')
      .select('email_encrypted')
      .where('id', '=', response.json().id)
      .executeTakeFirstOrThrow();
    expect(row.email_encrypted?.startsWith(`v1.${t.context.keyRing.activeKeyId}.`)).toBe(true);
  });

  it('resumes an interrupted run where its last committed batch ended', async () => {
    const oldKey = t.context.keyRing.activeKeyId;
    const total = await storedValues();
    let batches = 0;
    const crash = rotateDataKey(t.context, {
      batchSize: 2,
      propagationMs: 0,
      afterBatch: () => {
        batches += 1;
        if (batches === 3) throw new Error('power cut');
      },
    });
    await expect(crash).rejects.toThrow('power cut');

    const running = await db()
      .selectFrom('data_key_rotations')
      .selectAll()
      .where('status', '=', 'running')
      .executeTakeFirstOrThrow();
    const done = Number(running.rows_reencrypted);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(total);
    expect(await keyStatus()).toMatchObject({ [oldKey]: 'decrypt_only' });

    const resumed = await rotateDataKey(t.context, { batchSize: 2, propagationMs: 0 });

    expect(resumed).toMatchObject({
      resumed: true,
      keyId: running.target_key_id,
      status: 'completed',
      rowsReencrypted: total,
      retiredKeyIds: [oldKey],
    });
    expect(await countValuesNotUnderKey(db(), resumed.keyId)).toBe(0);
  });

  it('re-walks values a stale process wrote behind the cursor, and retires nothing until then', async () => {
    const staleRing: KeyRing = t.context.keyRing;
    const oldKey = staleRing.activeKeyId;
    const context = encryptionContextOf('customers', 'email_encrypted');
    let planted = false;
    const plantStaleWrite = async (batch: { table: string; column: string }) => {
      if (planted || batch.column !== 'birth_date_encrypted') return;
      planted = true;
      // A server that has not reloaded its ring yet still encrypts with the old key.
      await db()
        .updateTable('customers')
        .set({ email_encrypted: encryptField(staleRing, 'late@example.com', context) })
        .where('name', '=', 'Nova')
        .execute();
    };

    const first = await rotateDataKey(t.context, {
      propagationMs: 0,
      maxSweeps: 1,
      afterBatch: plantStaleWrite,
    });
    expect(first).toMatchObject({ status: 'running', remaining: 1, retiredKeyIds: [] });
    expect(await keyStatus()).toMatchObject({ [oldKey]: 'decrypt_only' });

    const second = await rotateDataKey(t.context, { propagationMs: 0 });
    expect(second).toMatchObject({ status: 'completed', resumed: true, retiredKeyIds: [oldKey] });
    const row = await db()
      .selectFrom('customers')
      .select('email_encrypted')
      .where('name', '=', 'Nova')
      .executeTakeFirstOrThrow();
    expect(decryptField(t.context.keyRing, row.email_encrypted!, context)).toBe('late@example.com');
  });

  it('never overwrites a value that changed after it was read', async () => {
    const column = ENCRYPTED_COLUMNS.find((c) => c.column === 'email_encrypted')!;
    const [row] = await readBatch(db(), column, null, 1);
    const newer = encryptField(t.context.keyRing, 'newer@example.com', column.context);
    await db()
      .updateTable('customers')
      .set({ email_encrypted: newer })
      .where('id', '=', row!.id)
      .execute();

    const replaced = await replaceIfUnchanged(db(), column, row!, 'v1.stale.value');

    expect(replaced).toBe(0);
    const stored = await db()
      .selectFrom('customers')
      .select('email_encrypted')
      .where('id', '=', row!.id)
      .executeTakeFirstOrThrow();
    expect(stored.email_encrypted).toBe(newer);
  });

  it('waits for running servers to load the new key before re-encrypting', async () => {
    const waits: number[] = [];

    await rotateDataKey(t.context, {
      propagationMs: 60_000,
      sleep: async (ms) => {
        waits.push(ms);
      },
      onWait: () => undefined,
    });

    expect(waits).toEqual([60_000]);
  });

  it('lets another server decrypt values under a key it has not loaded yet, even mid-transaction', async () => {
    const other = await buildTestApp({ sameDatabaseAs: t });
    try {
      const before = other.context.keyRing.activeKeyId;
      await rotateDataKey(t.context, { propagationMs: 0 });
      expect(other.context.keyRing.activeKeyId).toBe(before);
      const { id } = await db()
        .selectFrom('customers')
        .select('id')
        .where('name', '=', `Cliente ${cpfs[1]}`)
        .executeTakeFirstOrThrow();

      // The audited reveal decrypts inside its transaction: the reload must not wait on it.
      const full = await call(other, admin, 'GET', `/api/v1/customers/${id}?reveal=true`);

      expect(full.statusCode).toBe(200);
      expect(full.json().cpf).toBe('714.602.380-01');
      expect(other.context.keyRing.activeKeyId).toBe(t.context.keyRing.activeKeyId);
      const found = await call(other, admin, 'POST', '/api/v1/customers/lookup', { cpf: cpfs[1] });
      expect(found.json().items.map((c: { id: string }) => c.id)).toEqual([id]);
    } finally {
      await other.close();
    }
  });

  describe('periodic reload', () => {
    afterEach(() => vi.useRealTimers());

    it('installs the newest key as the ring every reload interval, and stops on close', async () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      const hooks: (() => Promise<void>)[] = [];
      const app = { addHook: (_name: string, hook: () => Promise<void>) => hooks.push(hook) };
      installKeyRingRefresh(app as unknown as FastifyInstance, t.context);

      const added = await addDataKey(db(), t.context.keys.masterKey, t.context.clock);
      expect(t.context.keyRing.activeKeyId).not.toBe(added);
      vi.advanceTimersByTime(t.context.config.dataKeys.reloadSeconds * 1000);
      await vi.waitFor(() => expect(t.context.keyRing.activeKeyId).toBe(added));

      await Promise.all(hooks.map((hook) => hook()));
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
