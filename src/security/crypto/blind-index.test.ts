import { createHmac, randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { AppError } from '../../core/errors.js';
import { blindIndex, deriveBlindIndexKey } from './blind-index.js';
import { hkdfSha256 } from './kdf.js';
import { hmacSha256Hex } from './tokens.js';

const hex = (text: string): Buffer => Buffer.from(text, 'hex');

describe('HKDF-SHA-256 (RFC 5869)', () => {
  it('matches test case 1', () => {
    const okm = hkdfSha256(
      hex('0b'.repeat(22)),
      hex('000102030405060708090a0b0c'),
      hex('f0f1f2f3f4f5f6f7f8f9'),
      42,
    );

    expect(okm.toString('hex')).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('matches test case 3 (empty salt and info, as the blind index key uses)', () => {
    const okm = hkdfSha256(hex('0b'.repeat(22)), Buffer.alloc(0), Buffer.alloc(0), 42);

    expect(okm.toString('hex')).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });
});

describe('blind index key', () => {
  const masterKey = randomBytes(32);

  it('is HKDF-SHA-256 of the master key, empty salt, info chefia/blind-index/v1', () => {
    // Computed by hand from RFC 5869: an empty salt means HashLen zero bytes in Extract.
    const prk = createHmac('sha256', Buffer.alloc(32)).update(masterKey).digest();
    const expected = createHmac('sha256', prk)
      .update(Buffer.concat([Buffer.from('chefia/blind-index/v1'), Buffer.from([1])]))
      .digest();

    expect(deriveBlindIndexKey(masterKey).equals(expected)).toBe(true);
  });

  it('differs from the master key and depends on it', () => {
    const indexKey = deriveBlindIndexKey(masterKey);

    expect(indexKey).toHaveLength(32);
    expect(indexKey.equals(masterKey)).toBe(false);
    expect(indexKey.equals(deriveBlindIndexKey(randomBytes(32)))).toBe(false);
  });

  it('refuses a master key that is not 32 bytes', () => {
    expect(() => deriveBlindIndexKey(randomBytes(16))).toThrow(AppError);
  });
});

describe('blind index', () => {
  const indexKey = deriveBlindIndexKey(randomBytes(32));

  it('is deterministic, so equal values can be looked up', () => {
    expect(blindIndex(indexKey, 'customers.cpf', '52998224725')).toBe(
      blindIndex(indexKey, 'customers.cpf', '52998224725'),
    );
  });

  it('is hex HMAC-SHA-256 over field, NUL, value', () => {
    expect(blindIndex(indexKey, 'customers.cpf', '52998224725')).toBe(
      hmacSha256Hex(indexKey, 'customers.cpf\u000052998224725'),
    );
    expect(blindIndex(indexKey, 'customers.cpf', '52998224725')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs for the same value in different fields', () => {
    expect(blindIndex(indexKey, 'customers.cpf', '11987654321')).not.toBe(
      blindIndex(indexKey, 'customers.phone', '11987654321'),
    );
  });

  it('differs for different values and under different keys', () => {
    const otherKey = deriveBlindIndexKey(randomBytes(32));

    expect(blindIndex(indexKey, 'customers.email', 'ana@example.com')).not.toBe(
      blindIndex(indexKey, 'customers.email', 'bia@example.com'),
    );
    expect(blindIndex(indexKey, 'customers.email', 'ana@example.com')).not.toBe(
      blindIndex(otherKey, 'customers.email', 'ana@example.com'),
    );
  });

  it('never contains the value it indexes', () => {
    expect(blindIndex(indexKey, 'customers.cpf', '52998224725')).not.toContain('52998224725');
  });

  it('refuses a field name that could break the framing', () => {
    expect(() => blindIndex(indexKey, 'customers\0cpf', 'x')).toThrow(AppError);
    expect(() => blindIndex(indexKey, '', 'x')).toThrow(AppError);
  });

  it('refuses an index key that is not 32 bytes', () => {
    expect(() => blindIndex(randomBytes(16), 'customers.cpf', 'x')).toThrow(AppError);
  });
});
