import * as argon2 from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { AppError } from '../../core/errors.js';
import { countingHasher, createPasswordHasher, hashScheme, TEST_HASH_PARAMS } from './hashing.js';

// The real argon2, watched: the tests count how many argon2 verifications each path really does.
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const actual = await importOriginal<typeof argon2>();
  return { ...actual, hash: vi.fn(actual.hash), verify: vi.fn(actual.verify) };
});

const argon2Verify = vi.mocked(argon2.verify);
const argon2Hash = vi.mocked(argon2.hash);

const hasher = createPasswordHasher(TEST_HASH_PARAMS);
const PASSWORD = 'violeta-trombone-sereno-47';

beforeEach(() => {
  argon2Verify.mockClear();
  argon2Hash.mockClear();
});

describe('password hashing', () => {
  describe('argon2id', () => {
    it('uses the SPEC minimum by default: m=19456 KiB, t=2, p=1', async () => {
      const stored = await createPasswordHasher().hash(PASSWORD);

      expect(stored.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    });

    it('salts every hash', async () => {
      expect(await hasher.hash(PASSWORD)).not.toBe(await hasher.hash(PASSWORD));
    });

    it('verifies the right password and nothing needs rehashing', async () => {
      const stored = await hasher.hash(PASSWORD);

      expect(await hasher.verify(stored, PASSWORD)).toEqual({ ok: true, needsRehash: false });
    });

    it('rejects a wrong password', async () => {
      const stored = await hasher.hash(PASSWORD);

      expect(await hasher.verify(stored, 'violeta-trombone-sereno-48')).toEqual({
        ok: false,
        needsRehash: false,
      });
    });

    it('compares exactly as typed: spaces, case and Unicode form all matter', async () => {
      const stored = await hasher.hash('abc ');
      const accented = await hasher.hash('caf\u00e9');

      expect((await hasher.verify(stored, 'abc')).ok).toBe(false);
      expect((await hasher.verify(stored, ' abc')).ok).toBe(false);
      expect((await hasher.verify(stored, 'ABC ')).ok).toBe(false);
      expect((await hasher.verify(stored, 'abc ')).ok).toBe(true);
      expect((await hasher.verify(accented, 'cafe\u0301')).ok).toBe(false);
    });

    it('asks for a rehash when the stored parameters are weaker than configured', async () => {
      const stored = await hasher.hash(PASSWORD);
      const stronger = createPasswordHasher({ ...TEST_HASH_PARAMS, memoryCost: 2048 });

      expect(await stronger.verify(stored, PASSWORD)).toEqual({ ok: true, needsRehash: true });
    });

    it('asks for a rehash of another argon2 variant', async () => {
      const argon2i = await argon2.hash(PASSWORD, { ...TEST_HASH_PARAMS, algorithm: 1 });
      expect(argon2i.startsWith('$argon2i$')).toBe(true);

      expect(await hasher.verify(argon2i, PASSWORD)).toEqual({ ok: true, needsRehash: true });
    });

    it('does not ask for a rehash of a stronger hash', async () => {
      const stronger = await createPasswordHasher({ ...TEST_HASH_PARAMS, timeCost: 2 }).hash(
        PASSWORD,
      );

      expect(await hasher.verify(stronger, PASSWORD)).toEqual({ ok: true, needsRehash: false });
    });
  });

  describe('legacy bcrypt', () => {
    it('verifies a bcrypt hash and always asks for a rehash', async () => {
      const stored = await bcrypt.hash(PASSWORD, 4);

      expect(await hasher.verify(stored, PASSWORD)).toEqual({ ok: true, needsRehash: true });
      expect(argon2Verify).not.toHaveBeenCalled();
    });

    it.each(['$2a$', '$2y$'])('accepts the %s prefix', async (prefix) => {
      const stored = (await bcrypt.hash(PASSWORD, 4)).replace(/^\$2b\$/, prefix);

      expect(await hasher.verify(stored, PASSWORD)).toEqual({ ok: true, needsRehash: true });
    });

    it('rejects a wrong password', async () => {
      const stored = await bcrypt.hash(PASSWORD, 4);

      expect(await hasher.verify(stored, 'wrong')).toEqual({ ok: false, needsRehash: false });
    });
  });

  describe('maximum length', () => {
    const at128 = 'wz7Rp2Lq9Ty4'.repeat(11).slice(0, 128);
    const at129 = 'wz7Rp2Lq9Ty4'.repeat(11).slice(0, 129);

    it('hashes and verifies 128 characters', async () => {
      const stored = await hasher.hash(at128);

      expect(await hasher.verify(stored, at128)).toEqual({ ok: true, needsRehash: false });
    });

    it('refuses to hash 129 characters', async () => {
      const error = await hasher.hash(at129).catch((rejection: unknown) => rejection);

      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'POS_ERR_PASSWORD_POLICY' });
      expect(argon2Hash).not.toHaveBeenCalled();
    });

    it('rejects 129 characters even when they match, after the same argon2 work', async () => {
      const stored = await argon2.hash(at129, { ...TEST_HASH_PARAMS, algorithm: 2 });
      argon2Verify.mockClear();

      expect(await hasher.verify(stored, at129)).toEqual({ ok: false, needsRehash: false });
      expect(argon2Verify).toHaveBeenCalledTimes(1);
      expect(argon2Verify).toHaveBeenCalledWith(stored, at129);
    });
  });

  describe('unknown formats', () => {
    it.each(['', 'plain-text', '$1$md5$hash', '$argon2id$broken'])(
      'rejects %j after one full argon2 verification',
      async (stored) => {
        expect(await hasher.verify(stored, PASSWORD)).toEqual({ ok: false, needsRehash: false });
        expect(argon2Verify).toHaveBeenCalledTimes(1);
        expect(argon2Verify.mock.calls[0]?.[0]).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
      },
    );

    it('names the scheme by prefix, argon2 only when it decodes', async () => {
      expect(hashScheme(await hasher.hash(PASSWORD))).toBe('argon2');
      expect(hashScheme('$argon2id$broken')).toBe('unknown');
      expect(hashScheme('$2b$10$abcdefghijklmnopqrstuv')).toBe('bcrypt');
      expect(hashScheme('$2x$10$abcdefghijklmnopqrstuv')).toBe('unknown');
    });
  });

  describe('burn', () => {
    it('does one real argon2 verification against a dummy hash made once', async () => {
      const fresh = createPasswordHasher(TEST_HASH_PARAMS);

      await fresh.burn(PASSWORD);
      await Promise.all([fresh.burn(PASSWORD), fresh.burn('another')]);

      expect(argon2Verify).toHaveBeenCalledTimes(3);
      expect(argon2Hash).toHaveBeenCalledTimes(1);
      const dummy = await argon2Hash.mock.results[0]?.value;
      expect(dummy).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
      expect(argon2Verify).toHaveBeenCalledWith(dummy, PASSWORD);
    });

    it('makes its dummy hash with the configured parameters', async () => {
      await createPasswordHasher({ ...TEST_HASH_PARAMS, timeCost: 3 }).burn(PASSWORD);

      const dummy = await argon2Hash.mock.results[0]?.value;
      expect(dummy).toMatch(/^\$argon2id\$v=19\$m=1024,t=3,p=1\$/);
    });
  });

  describe('countingHasher', () => {
    it('counts one argon2 verification for an unknown user and for a wrong password', async () => {
      const stored = await hasher.hash(PASSWORD);
      const unknownUser = countingHasher(hasher);
      const wrongPassword = countingHasher(hasher);

      await unknownUser.hasher.burn('guess');
      await wrongPassword.hasher.verify(stored, 'guess');

      expect(unknownUser.counts).toEqual({ hash: 0, verify: 0, burn: 1, argon2Verifications: 1 });
      expect(wrongPassword.counts).toEqual({
        hash: 0,
        verify: 1,
        burn: 0,
        argon2Verifications: 1,
      });
    });

    it('does not count a bcrypt check as argon2 work', async () => {
      const { hasher: counted, counts } = countingHasher(hasher);

      await counted.verify(await bcrypt.hash(PASSWORD, 4), PASSWORD);
      await counted.hash(PASSWORD);

      expect(counts).toEqual({ hash: 1, verify: 1, burn: 0, argon2Verifications: 0 });
    });
  });
});
