import { AppError } from '../../core/errors.js';

/**
 * Any failure to open an encrypted value: tampering, wrong context, unknown key, bad format.
 * The message is one fixed string on purpose: telling the caller which check failed would help
 * an attacker probe the format, and the input itself may be sensitive. It maps to a masked 500
 * because stored ciphertext that does not open is a server-side fault, never the client's.
 */
export class DecryptionError extends AppError {
  constructor() {
    super('POS_ERR_INTERNAL', { message: 'decryption failed' });
    this.name = 'DecryptionError';
  }
}

/** Fixed messages for programming and configuration mistakes when using this module. */
const MISUSE_MESSAGES = {
  invalidKeyId: 'A data key id is not valid.',
  invalidDataKey: 'A data key must be 32 bytes.',
  duplicateKeyId: 'Data key ids must be unique.',
  activeKeyMissing: 'The active data key is not in the key ring.',
  unknownKey: 'The data key is not available.',
  invalidMasterKey: 'The master key must be 32 bytes.',
  invalidIndexKey: 'The blind index key must be 32 bytes.',
  invalidLabel: 'An encryption context or field name is not valid.',
  invalidNonce: 'An AES-GCM nonce must be 12 bytes.',
  tokenTooShort: 'A token must carry between 16 and 1024 random bytes.',
} as const;

export type CryptoMisuse = keyof typeof MISUSE_MESSAGES;

/** An error for a caller that used the module wrongly (bad key, bad label); never user input. */
export function cryptoMisuse(reason: CryptoMisuse): AppError {
  return new AppError('POS_ERR_INTERNAL', { message: MISUSE_MESSAGES[reason] });
}
