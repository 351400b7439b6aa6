import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { DecryptionError, cryptoMisuse } from './errors.js';

export const AES_256_KEY_BYTES = 32;
export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;

export interface GcmSealed {
  ciphertext: Buffer;
  tag: Buffer;
}

/**
 * Internal: AES-256-GCM with a caller-chosen nonce. Exported only so the known-answer vectors can
 * drive the exact primitive field encryption uses; everything else goes through `sealPacked`,
 * because reusing a nonce under one key breaks GCM's confidentiality and integrity.
 */
export function aes256GcmEncrypt(
  key: Buffer,
  nonce: Buffer,
  plaintext: Buffer,
  aad: Buffer,
): GcmSealed {
  if (nonce.length !== GCM_NONCE_BYTES) {
    throw cryptoMisuse('invalidNonce');
  }

  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);

  return { ciphertext, tag: cipher.getAuthTag() };
}

/** Internal: the inverse of `aes256GcmEncrypt`; any failure is a `DecryptionError`. */
export function aes256GcmDecrypt(
  key: Buffer,
  nonce: Buffer,
  ciphertext: Buffer,
  tag: Buffer,
  aad: Buffer,
): Buffer {
  // Node accepts truncated GCM tags unless told the length, which would let a forger try 2^32
  // tags instead of 2^128; pinning authTagLength and checking sizes here closes that.
  if (key.length !== AES_256_KEY_BYTES) {
    throw new DecryptionError();
  }

  if (nonce.length !== GCM_NONCE_BYTES || tag.length !== GCM_TAG_BYTES) {
    throw new DecryptionError();
  }

  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new DecryptionError();
  }
}

/**
 * Encrypts under a fresh random 96-bit nonce and returns `nonce || ciphertext || tag`. Random
 * nonces are safe for up to 2^32 encryptions per key (NIST SP 800-38D §8.3); key rotation keeps
 * every data key far below that. The nonce is deliberately not injectable.
 */
export function sealPacked(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(GCM_NONCE_BYTES);
  const { ciphertext, tag } = aes256GcmEncrypt(key, nonce, plaintext, aad);

  return Buffer.concat([nonce, ciphertext, tag]);
}

/** Opens a `sealPacked` value; any failure, even a value too short for nonce and tag, throws. */
export function openPacked(key: Buffer, packed: Buffer, aad: Buffer): Buffer {
  if (packed.length < GCM_NONCE_BYTES + GCM_TAG_BYTES) {
    throw new DecryptionError();
  }

  const nonce = packed.subarray(0, GCM_NONCE_BYTES);
  const ciphertext = packed.subarray(GCM_NONCE_BYTES, packed.length - GCM_TAG_BYTES);
  const tag = packed.subarray(packed.length - GCM_TAG_BYTES);

  return aes256GcmDecrypt(key, nonce, ciphertext, tag, aad);
}

const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes unpadded base64url, rejecting anything that is not the canonical encoding. Buffer's own
 * decoder silently skips stray characters, so without this check many strings would map to the
 * same bytes and a stored value would not be a unique representation of its ciphertext.
 */
export function decodeBase64UrlStrict(text: string): Buffer {
  if (!BASE64URL_PATTERN.test(text)) {
    throw new DecryptionError();
  }

  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) {
    throw new DecryptionError();
  }

  return bytes;
}
