export { DecryptionError } from './errors.js';
export {
  KeyRing,
  generateDataKey,
  unwrapDataKey,
  wrapDataKey,
  type DataKey,
  type KeyRingOptions,
} from './key-ring.js';
export { decryptField, encryptField, keyIdOf } from './field-encryption.js';
export { blindIndex, deriveBlindIndexKey } from './blind-index.js';
export { constantTimeEqual, hashToken, hmacSha256Hex, randomToken } from './tokens.js';
