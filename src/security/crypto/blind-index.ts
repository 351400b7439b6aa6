import { cryptoMisuse } from './errors.js';
import { hkdfSha256 } from './kdf.js';
import { assertMasterKey } from './key-ring.js';
import { isValidLabel } from './labels.js';
import { hmacSha256Hex } from './tokens.js';

const BLIND_INDEX_INFO = 'chefia/blind-index/v1';
const BLIND_INDEX_KEY_BYTES = 32;

/**
 * Derives the key for blind indexes from the master key.
 *
 * The salt is empty on purpose: RFC 5869 §3.1 says a salt adds strength when the input key is not
 * uniformly random, but the master key is 32 random bytes already, so HKDF-Extract needs no salt
 * to produce a strong PRK. `info` separates this key from any other derived from the same master.
 *
 * This key must not rotate with the data keys: a blind index is stored once per row, and lookups
 * must keep matching while values are re-encrypted under a new data key. Rotating it means
 * recomputing every index, which is a migration of its own.
 */
export function deriveBlindIndexKey(masterKey: Buffer): Buffer {
  assertMasterKey(masterKey);

  return hkdfSha256(masterKey, Buffer.alloc(0), BLIND_INDEX_INFO, BLIND_INDEX_KEY_BYTES);
}

/**
 * A keyed, deterministic index (hex HMAC-SHA-256) for finding rows by an encrypted field without
 * decrypting the table. The field name is mixed in so equal values in different fields (a phone
 * number that is also someone's CPF digits) give different indexes. Normalise the value first
 * (digits only for CPF, lower case for email) or equal values will not match.
 */
export function blindIndex(indexKey: Buffer, field: string, normalizedValue: string): string {
  if (!Buffer.isBuffer(indexKey) || indexKey.length !== BLIND_INDEX_KEY_BYTES) {
    throw cryptoMisuse('invalidIndexKey');
  }

  if (!isValidLabel(field)) {
    throw cryptoMisuse('invalidLabel');
  }

  return hmacSha256Hex(indexKey, `${field}\0${normalizedValue}`);
}
