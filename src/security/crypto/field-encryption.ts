import { AppError } from '../../core/errors.js';
import { decodeBase64UrlStrict, openPacked, sealPacked } from './aes-gcm.js';
import { DecryptionError, cryptoMisuse } from './errors.js';
import type { KeyRing } from './key-ring.js';
import { isValidKeyId, isValidLabel } from './labels.js';

const FORMAT_VERSION = 'v1';

/** An unpaired UTF-16 surrogate; with the `u` flag a valid pair is one code point, not `Cs`. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The version, key id and context are all authenticated, so a value relabelled with another key
 * id, or copied into another column (`customers.cpf` into `customers.email`), fails to decrypt.
 * Key ids and labels cannot contain NUL, so this framing is unambiguous.
 */
function fieldAad(keyId: string, context: string): Buffer {
  return Buffer.from(`chefia/field/${FORMAT_VERSION}\0${keyId}\0${context}`, 'utf8');
}

interface ParsedValue {
  keyId: string;
  packed: Buffer;
}

function parseStoredValue(stored: string): ParsedValue {
  if (typeof stored !== 'string') {
    throw new DecryptionError();
  }

  const [version, keyId, payload, ...rest] = stored.split('.');
  if (version !== FORMAT_VERSION || rest.length > 0) {
    throw new DecryptionError();
  }

  if (keyId === undefined || !isValidKeyId(keyId) || payload === undefined) {
    throw new DecryptionError();
  }

  return { keyId, packed: decodeBase64UrlStrict(payload) };
}

/**
 * Encrypts one column value with the ring's active key: AES-256-GCM, a random 96-bit nonce and a
 * 128-bit tag. `context` names where the value lives (`customers.cpf`) and is authenticated.
 * Returns `v1.<keyId>.<base64url(nonce || ciphertext || tag)>`.
 */
export function encryptField(ring: KeyRing, plaintext: string, context: string): string {
  if (!isValidLabel(context)) {
    throw cryptoMisuse('invalidLabel');
  }

  // UTF-8 would silently turn a lone surrogate into U+FFFD, so the value read back would not be
  // the value written. Such text is never legitimate input; refuse it instead of corrupting it.
  if (LONE_SURROGATE.test(plaintext)) {
    throw new AppError('POS_ERR_VALIDATION');
  }

  const keyId = ring.activeKeyId;
  const packed = sealPacked(
    ring.get(keyId),
    Buffer.from(plaintext, 'utf8'),
    fieldAad(keyId, context),
  );

  return `${FORMAT_VERSION}.${keyId}.${packed.toString('base64url')}`;
}

/**
 * Decrypts a value from `encryptField` with the same `context`. Throws `DecryptionError` on any
 * tamper, wrong context, unknown key or bad format, without saying which.
 */
export function decryptField(ring: KeyRing, stored: string, context: string): string {
  const { keyId, packed } = parseStoredValue(stored);

  if (!isValidLabel(context) || !ring.has(keyId)) {
    throw new DecryptionError();
  }

  const plaintext = openPacked(ring.get(keyId), packed, fieldAad(keyId, context));

  return plaintext.toString('utf8');
}

/** The id of the key that encrypted a stored value, so rotation can find what to re-encrypt. */
export function keyIdOf(stored: string): string {
  return parseStoredValue(stored).keyId;
}
