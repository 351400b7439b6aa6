import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { cryptoMisuse } from './errors.js';

const MIN_TOKEN_BYTES = 16;
const MAX_TOKEN_BYTES = 1024;

/** A random token, base64url without padding: 32 bytes (256 bits) give 43 characters. */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_TOKEN_BYTES || bytes > MAX_TOKEN_BYTES) {
    throw cryptoMisuse('tokenTooShort');
  }

  return randomBytes(bytes).toString('base64url');
}

/**
 * SHA-256 hex of a token, for storing API keys, session and reset tokens. A fast hash is right
 * here, unlike for passwords: a token from `randomToken` carries at least 128 bits of entropy, so
 * there is nothing to guess faster, and a slow hash would only make every request slower.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Compares two strings in time independent of where they differ. Both sides are hashed first so
 * `timingSafeEqual` always sees 32 bytes: different lengths neither throw nor return early, and
 * the comparison does not reveal the secret's length. Strings are hashed as UTF-16 because UTF-8
 * maps every lone surrogate to U+FFFD and would make some different strings compare equal.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const digestA = createHash('sha256').update(Buffer.from(a, 'utf16le')).digest();
  const digestB = createHash('sha256').update(Buffer.from(b, 'utf16le')).digest();

  return timingSafeEqual(digestA, digestB);
}

/**
 * HMAC-SHA-256 as lowercase hex (webhook signatures, blind indexes). A string message is hashed as
 * UTF-8; pass a Buffer to sign raw bytes, such as a webhook body exactly as received.
 */
export function hmacSha256Hex(key: Buffer | string, message: string | Buffer): string {
  const hmac = createHmac('sha256', key);
  if (typeof message === 'string') {
    hmac.update(message, 'utf8');
  } else {
    hmac.update(message);
  }

  return hmac.digest('hex');
}
