import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AppError } from '../../core/errors.js';
import { DecryptionError } from './errors.js';
import { decryptField, encryptField, keyIdOf } from './field-encryption.js';
import { KeyRing, generateDataKey } from './key-ring.js';

const CONTEXT = 'customers.cpf';
const SECRET = 'CPF 529.982.247-25';

const k1 = generateDataKey('k1');
const k2 = generateDataKey('k2');
const ring = new KeyRing({ keys: [k1], activeKeyId: 'k1' });

/** Splits a stored value into its three dot-separated parts and the decoded payload. */
function dissect(stored: string): { keyId: string; payload: Buffer } {
  const [, keyId = '', payload = ''] = stored.split('.');
  return { keyId, payload: Buffer.from(payload, 'base64url') };
}

function assemble(keyId: string, payload: Buffer): string {
  return `v1.${keyId}.${payload.toString('base64url')}`;
}

function flipBit(stored: string, bit: number): string {
  const { keyId, payload } = dissect(stored);
  const tampered = Buffer.from(payload);
  tampered[bit >> 3] = (tampered[bit >> 3] ?? 0) ^ (1 << (bit & 7));
  return assemble(keyId, tampered);
}

/**
 * Asserts a DecryptionError carrying only the fixed message: no cause, no detail, and nothing of
 * the plaintext (checked against a distinctive secret, since a one-letter random plaintext could
 * appear in any text by chance).
 */
function expectDecryptionFailure(run: () => unknown): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }

  expect(caught).toBeInstanceOf(DecryptionError);
  const error = caught as DecryptionError;
  expect(error.message).toBe('decryption failed');
  expect(error.code).toBe('POS_ERR_INTERNAL');
  expect(error.cause).toBeUndefined();
  expect(String(error.stack)).not.toContain(SECRET);
}

describe('field encryption', () => {
  describe('format', () => {
    it('stores v1.<keyId>.<base64url(nonce || ciphertext || tag)>', () => {
      const stored = encryptField(ring, SECRET, CONTEXT);

      expect(stored).toMatch(/^v1\.k1\.[A-Za-z0-9_-]+$/);
      expect(dissect(stored).payload).toHaveLength(12 + Buffer.byteLength(SECRET) + 16);
      expect(stored).not.toContain('529');
    });

    it('reports which key encrypted a value', () => {
      expect(keyIdOf(encryptField(ring, SECRET, CONTEXT))).toBe('k1');
    });

    it('refuses to name a key for a value that is not well formed', () => {
      expect(() => keyIdOf('not-encrypted')).toThrow(DecryptionError);
    });
  });

  describe('round trip', () => {
    it('decrypts any unicode string, including the empty string', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), (plaintext) => {
          expect(decryptField(ring, encryptField(ring, plaintext, CONTEXT), CONTEXT)).toBe(
            plaintext,
          );
        }),
      );
    });

    it('decrypts the empty string', () => {
      expect(decryptField(ring, encryptField(ring, '', CONTEXT), CONTEXT)).toBe('');
    });

    it('gives a different ciphertext each time the same value is encrypted', () => {
      const first = encryptField(ring, SECRET, CONTEXT);
      const second = encryptField(ring, SECRET, CONTEXT);

      expect(first).not.toBe(second);
    });

    it('refuses text with a lone surrogate instead of storing a corrupted value', () => {
      expect(() => encryptField(ring, 'abc\uD800', CONTEXT)).toThrow(AppError);
    });

    it('refuses an empty or malformed context when encrypting', () => {
      expect(() => encryptField(ring, SECRET, '')).toThrow(AppError);
      expect(() => encryptField(ring, SECRET, 'customers\0cpf')).toThrow(AppError);
    });
  });

  describe('key rotation', () => {
    const rotated = new KeyRing({ keys: [k1, k2], activeKeyId: 'k2' });

    it('still decrypts values encrypted under an older key', () => {
      const old = encryptField(ring, SECRET, CONTEXT);

      expect(decryptField(rotated, old, CONTEXT)).toBe(SECRET);
    });

    it('encrypts new values under the new active key', () => {
      const fresh = encryptField(rotated, SECRET, CONTEXT);

      expect(keyIdOf(fresh)).toBe('k2');
      expect(decryptField(rotated, fresh, CONTEXT)).toBe(SECRET);
    });

    it('cannot decrypt a value under a key the ring no longer holds', () => {
      const onlyNew = new KeyRing({ keys: [k2], activeKeyId: 'k2' });

      expectDecryptionFailure(() =>
        decryptField(onlyNew, encryptField(ring, SECRET, CONTEXT), CONTEXT),
      );
    });
  });

  describe('security', () => {
    const regions = [
      { region: 'nonce', start: () => 0, bits: () => 12 * 8 },
      { region: 'ciphertext', start: () => 12 * 8, bits: (n: number) => n * 8 },
      { region: 'tag', start: (n: number) => (12 + n) * 8, bits: () => 16 * 8 },
    ];

    it.each(regions)('fails when any single bit of the $region is flipped', ({ start, bits }) => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', minLength: 1 }), fc.nat(), (plaintext, n) => {
          const stored = encryptField(ring, plaintext, CONTEXT);
          const length = Buffer.byteLength(plaintext);
          const bit = start(length) + (n % bits(length));

          expectDecryptionFailure(() => decryptField(ring, flipBit(stored, bit), CONTEXT));
        }),
      );
    });

    it('fails when the key id prefix is changed to another key in the ring', () => {
      const both = new KeyRing({ keys: [k1, k2], activeKeyId: 'k1' });
      const { payload } = dissect(encryptField(both, SECRET, CONTEXT));

      expectDecryptionFailure(() => decryptField(both, assemble('k2', payload), CONTEXT));
    });

    it('fails when the key id is changed even if both ids hold the same key bytes', () => {
      const alias = { id: 'k1-alias', key: k1.key };
      const aliased = new KeyRing({ keys: [k1, alias], activeKeyId: 'k1' });
      const { payload } = dissect(encryptField(aliased, SECRET, CONTEXT));

      expectDecryptionFailure(() => decryptField(aliased, assemble('k1-alias', payload), CONTEXT));
    });

    it('fails when a value is moved to another column', () => {
      const stored = encryptField(ring, SECRET, CONTEXT);

      expectDecryptionFailure(() => decryptField(ring, stored, 'customers.phone'));
    });

    it('fails when the value is truncated', () => {
      const stored = encryptField(ring, SECRET, CONTEXT);
      const { keyId, payload } = dissect(stored);

      expectDecryptionFailure(() => decryptField(ring, stored.slice(0, -1), CONTEXT));
      expectDecryptionFailure(() =>
        decryptField(ring, assemble(keyId, payload.subarray(0, -1)), CONTEXT),
      );
      expectDecryptionFailure(() =>
        decryptField(ring, assemble(keyId, payload.subarray(0, 27)), CONTEXT),
      );
      expectDecryptionFailure(() => decryptField(ring, 'v1.k1.', CONTEXT));
    });

    it('fails for an unknown key id', () => {
      const { payload } = dissect(encryptField(ring, SECRET, CONTEXT));

      expectDecryptionFailure(() => decryptField(ring, assemble('k9', payload), CONTEXT));
    });

    it.each([
      ['an empty string', ''],
      ['plain text', SECRET],
      ['another version', 'v2.k1.AAAA'],
      ['a missing part', 'v1.k1'],
      ['an extra part', 'v1.k1.AAAA.AAAA'],
      ['an invalid key id', 'v1.k 1.AAAA'],
      ['padding', 'v1.k1.AAAA='],
    ])('fails for %s', (_label, stored) => {
      expectDecryptionFailure(() => decryptField(ring, stored, CONTEXT));
    });

    it('fails for a value that is not a string', () => {
      expectDecryptionFailure(() => decryptField(ring, null as unknown as string, CONTEXT));
    });
  });
});
