import { describe, expect, it } from 'vitest';

import {
  aes256GcmDecrypt,
  aes256GcmEncrypt,
  decodeBase64UrlStrict,
  openPacked,
  sealPacked,
} from './aes-gcm.js';
import { DecryptionError } from './errors.js';

const hex = (text: string): Buffer => Buffer.from(text, 'hex');

const GCM_SPEC_KEY = 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308';
const GCM_SPEC_PLAINTEXT =
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' +
  '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const GCM_SPEC_CIPHERTEXT =
  '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
  '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad';

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", appendix B, 256-bit keys.
const vectors = [
  {
    name: 'test case 13 (empty plaintext, no AAD)',
    key: '00'.repeat(32),
    nonce: '00'.repeat(12),
    aad: '',
    plaintext: '',
    ciphertext: '',
    tag: '530f8afbc74536b9a963b4f1c4cb738b',
  },
  {
    name: 'test case 14 (one zero block, no AAD)',
    key: '00'.repeat(32),
    nonce: '00'.repeat(12),
    aad: '',
    plaintext: '00'.repeat(16),
    ciphertext: 'cea7403d4d606b6e074ec5d3baf39d18',
    tag: 'd0d1c8a799996bf0265b98b5d48ab919',
  },
  {
    name: 'test case 15 (four blocks, no AAD)',
    key: GCM_SPEC_KEY,
    nonce: 'cafebabefacedbaddecaf888',
    aad: '',
    plaintext: GCM_SPEC_PLAINTEXT,
    ciphertext: GCM_SPEC_CIPHERTEXT,
    tag: 'b094dac5d93471bdec1a502270e3cc6c',
  },
  {
    name: 'test case 16 (partial last block, with AAD)',
    key: GCM_SPEC_KEY,
    nonce: 'cafebabefacedbaddecaf888',
    aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    plaintext: GCM_SPEC_PLAINTEXT.slice(0, 120),
    ciphertext: GCM_SPEC_CIPHERTEXT.slice(0, 120),
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
];

describe('AES-256-GCM primitive', () => {
  describe('known-answer vectors', () => {
    it.each(vectors)('encrypts $name', (vector) => {
      const sealed = aes256GcmEncrypt(
        hex(vector.key),
        hex(vector.nonce),
        hex(vector.plaintext),
        hex(vector.aad),
      );

      expect(sealed.ciphertext.toString('hex')).toBe(vector.ciphertext);
      expect(sealed.tag.toString('hex')).toBe(vector.tag);
    });

    it.each(vectors)('decrypts $name', (vector) => {
      const plaintext = aes256GcmDecrypt(
        hex(vector.key),
        hex(vector.nonce),
        hex(vector.ciphertext),
        hex(vector.tag),
        hex(vector.aad),
      );

      expect(plaintext.toString('hex')).toBe(vector.plaintext);
    });

    it.each(vectors)('rejects $name with its tag altered', (vector) => {
      const tag = hex(vector.tag);
      tag[15] = (tag[15] ?? 0) ^ 0x01;

      expect(() =>
        aes256GcmDecrypt(
          hex(vector.key),
          hex(vector.nonce),
          hex(vector.ciphertext),
          tag,
          hex(vector.aad),
        ),
      ).toThrow(DecryptionError);
    });
  });

  describe('security', () => {
    const vector = vectors[3]!;

    it('rejects a truncated tag even when it is a valid prefix of the real one', () => {
      const truncated = hex(vector.tag).subarray(0, 12);

      expect(() =>
        aes256GcmDecrypt(
          hex(vector.key),
          hex(vector.nonce),
          hex(vector.ciphertext),
          truncated,
          hex(vector.aad),
        ),
      ).toThrow(DecryptionError);
    });

    it('rejects a nonce that is not 96 bits on encryption', () => {
      expect(() =>
        aes256GcmEncrypt(hex(vector.key), Buffer.alloc(8), Buffer.alloc(0), Buffer.alloc(0)),
      ).toThrow('An AES-GCM nonce must be 12 bytes.');
    });

    it('rejects a key that is not 256 bits on decryption', () => {
      expect(() =>
        aes256GcmDecrypt(
          Buffer.alloc(16),
          hex(vector.nonce),
          hex(vector.ciphertext),
          hex(vector.tag),
          hex(vector.aad),
        ),
      ).toThrow(DecryptionError);
    });
  });

  describe('packed values', () => {
    const key = Buffer.alloc(32, 7);
    const aad = Buffer.from('aad');

    it('lays out nonce, ciphertext and tag: 12 + length + 16 bytes', () => {
      const packed = sealPacked(key, Buffer.from('hello'), aad);

      expect(packed).toHaveLength(12 + 5 + 16);
      expect(openPacked(key, packed, aad).toString()).toBe('hello');
    });

    it('draws a fresh nonce for every value', () => {
      const first = sealPacked(key, Buffer.from('same'), aad);
      const second = sealPacked(key, Buffer.from('same'), aad);

      expect(first.subarray(0, 12).equals(second.subarray(0, 12))).toBe(false);
    });

    it('rejects a value too short to hold a nonce and a tag', () => {
      expect(() => openPacked(key, Buffer.alloc(27), aad)).toThrow(DecryptionError);
    });

    it('rejects different AAD', () => {
      const packed = sealPacked(key, Buffer.from('hello'), aad);

      expect(() => openPacked(key, packed, Buffer.from('other'))).toThrow(DecryptionError);
    });
  });

  describe('strict base64url', () => {
    it('decodes canonical unpadded base64url', () => {
      expect(decodeBase64UrlStrict('_-8').toString('hex')).toBe('ffef');
    });

    it.each([
      ['padding', '_-8='],
      ['standard alphabet', '/+8'],
      ['whitespace', '_-8 '],
      ['non-canonical trailing bits', '_-9'],
      ['impossible length', '_-8AA'],
    ])('rejects %s', (_label, text) => {
      expect(() => decodeBase64UrlStrict(text)).toThrow(DecryptionError);
    });
  });
});
