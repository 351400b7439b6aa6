import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AppError } from '../../core/errors.js';
import { constantTimeEqual, hashToken, hmacSha256Hex, randomToken } from './tokens.js';

const hex = (text: string): Buffer => Buffer.from(text, 'hex');

describe('HMAC-SHA-256 (RFC 4231)', () => {
  it('matches test case 1', () => {
    expect(hmacSha256Hex(hex('0b'.repeat(20)), 'Hi There')).toBe(
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    );
  });

  it('matches test case 2 (a string key shorter than the block)', () => {
    expect(hmacSha256Hex('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('matches test case 4 (a 25-byte key, 50 bytes of 0xcd)', () => {
    const key = hex('0102030405060708090a0b0c0d0e0f10111213141516171819');

    expect(hmacSha256Hex(key, Buffer.alloc(50, 0xcd))).toBe(
      '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    );
  });
});

describe('token hashing', () => {
  it('is SHA-256 hex (FIPS 180-2 "abc" vector)', () => {
    expect(hashToken('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('is deterministic and never echoes the token', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (token) => {
        expect(hashToken(token)).toBe(hashToken(token));
        expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
      }),
    );
  });
});

describe('constant-time comparison', () => {
  it('is true for equal strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => constantTimeEqual(text, text)));
  });

  it('is false for different strings', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        expect(constantTimeEqual(a, b)).toBe(false);
      }),
    );
  });

  it('returns false without throwing for different lengths', () => {
    expect(constantTimeEqual('short', 'a much longer string')).toBe(false);
    expect(constantTimeEqual('', 'x')).toBe(false);
  });

  it('treats two empty strings as equal', () => {
    expect(constantTimeEqual('', '')).toBe(true);
  });

  it('tells apart strings that differ only in lone surrogates', () => {
    expect(constantTimeEqual('token\uD800', 'token\uDBFF')).toBe(false);
  });
});

describe('random tokens', () => {
  it('encodes 32 bytes as 43 base64url characters', () => {
    const token = randomToken();

    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('honours a custom size', () => {
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('does not repeat over 1000 draws', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken()));

    expect(tokens.size).toBe(1000);
  });

  it('sets about half of its bits', () => {
    // 1000 tokens of 256 bits: the share of set bits is 0.5 with a standard deviation of about
    // 0.001, so 0.48..0.52 fails only for a broken generator (all zeros, a stuck byte).
    let ones = 0;
    for (let draw = 0; draw < 1000; draw += 1) {
      for (const byte of Buffer.from(randomToken(), 'base64url')) {
        ones += byte.toString(2).replaceAll('0', '').length;
      }
    }

    expect(ones / (1000 * 256)).toBeGreaterThan(0.48);
    expect(ones / (1000 * 256)).toBeLessThan(0.52);
  });

  it.each([0, 8, 15, 1025, 1.5, Number.NaN])('refuses %s bytes', (bytes) => {
    expect(() => randomToken(bytes)).toThrow(AppError);
  });
});
