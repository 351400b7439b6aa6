import { randomBytes } from 'node:crypto';

import { AES_256_KEY_BYTES, decodeBase64UrlStrict, openPacked, sealPacked } from './aes-gcm.js';
import { DecryptionError, cryptoMisuse } from './errors.js';
import { isValidKeyId } from './labels.js';

/** A 256-bit data key and the short opaque id stored beside every value it encrypts. */
export interface DataKey {
  id: string;
  key: Buffer;
}

export interface KeyRingOptions {
  keys: DataKey[];
  activeKeyId: string;
}

/**
 * The data keys this process can use: every retired key (so old values still decrypt) and the
 * active one (used for all new encryptions). Keys are copied in and out so no caller can change
 * the ring's keys by mutating a buffer it holds.
 */
export class KeyRing {
  readonly #keys = new Map<string, Buffer>();
  readonly #activeKeyId: string;

  constructor(options: KeyRingOptions) {
    for (const dataKey of options.keys) {
      if (!isValidKeyId(dataKey.id)) {
        throw cryptoMisuse('invalidKeyId');
      }

      if (!Buffer.isBuffer(dataKey.key) || dataKey.key.length !== AES_256_KEY_BYTES) {
        throw cryptoMisuse('invalidDataKey');
      }

      if (this.#keys.has(dataKey.id)) {
        throw cryptoMisuse('duplicateKeyId');
      }

      this.#keys.set(dataKey.id, Buffer.from(dataKey.key));
    }

    if (!this.#keys.has(options.activeKeyId)) {
      throw cryptoMisuse('activeKeyMissing');
    }

    this.#activeKeyId = options.activeKeyId;
  }

  /** The id of the key that encrypts new values. */
  get activeKeyId(): string {
    return this.#activeKeyId;
  }

  /** A copy of the key with this id; throws a generic error if the ring does not hold it. */
  get(id: string): Buffer {
    const key = this.#keys.get(id);
    if (key === undefined) {
      throw cryptoMisuse('unknownKey');
    }

    return Buffer.from(key);
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  ids(): string[] {
    return [...this.#keys.keys()];
  }
}

/** A new random data key; persist it only wrapped under the master key. */
export function generateDataKey(id: string): DataKey {
  if (!isValidKeyId(id)) {
    throw cryptoMisuse('invalidKeyId');
  }

  return { id, key: randomBytes(AES_256_KEY_BYTES) };
}

const WRAP_FORMAT_VERSION = 'v1';

/**
 * Binding the id as AAD means a wrapped key copied to another id's row fails to unwrap, so an
 * attacker with database access cannot make the ring use key A under the label of key B. The
 * prefix separates these from field ciphertexts should the two ever share a key by mistake.
 */
function wrapAad(id: string): Buffer {
  return Buffer.from(`chefia/data-key/${WRAP_FORMAT_VERSION}\0${id}`, 'utf8');
}

/** Throws unless `masterKey` is a 32-byte buffer. */
export function assertMasterKey(masterKey: Buffer): void {
  if (!Buffer.isBuffer(masterKey) || masterKey.length !== AES_256_KEY_BYTES) {
    throw cryptoMisuse('invalidMasterKey');
  }
}

/**
 * Encrypts a data key under the master key (AES-256-GCM, random nonce, id as AAD) for storage in
 * the database. Returns `v1.<base64url(nonce || ciphertext || tag)>`.
 */
export function wrapDataKey(masterKey: Buffer, dataKey: DataKey): string {
  assertMasterKey(masterKey);

  if (!isValidKeyId(dataKey.id)) {
    throw cryptoMisuse('invalidKeyId');
  }

  if (!Buffer.isBuffer(dataKey.key) || dataKey.key.length !== AES_256_KEY_BYTES) {
    throw cryptoMisuse('invalidDataKey');
  }

  const packed = sealPacked(masterKey, dataKey.key, wrapAad(dataKey.id));

  return `${WRAP_FORMAT_VERSION}.${packed.toString('base64url')}`;
}

/** Recovers a data key stored by `wrapDataKey`; throws `DecryptionError` on any mismatch. */
export function unwrapDataKey(masterKey: Buffer, id: string, wrapped: string): DataKey {
  assertMasterKey(masterKey);

  if (!isValidKeyId(id) || typeof wrapped !== 'string') {
    throw new DecryptionError();
  }

  const parts = wrapped.split('.');
  if (parts.length !== 2 || parts[0] !== WRAP_FORMAT_VERSION) {
    throw new DecryptionError();
  }

  const packed = decodeBase64UrlStrict(parts[1] ?? '');
  const key = openPacked(masterKey, packed, wrapAad(id));
  if (key.length !== AES_256_KEY_BYTES) {
    throw new DecryptionError();
  }

  return { id, key };
}
