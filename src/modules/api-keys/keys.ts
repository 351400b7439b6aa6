import { hashToken, randomToken } from '../../security/crypto/tokens.js';

/** The request header that carries an API key. */
export const API_KEY_HEADER = 'x-api-key';

/** `sk_` and 43 base64url characters: 32 random bytes, 256 bits. */
const KEY_PATTERN = /^sk_[A-Za-z0-9_-]{43}$/;

/** `sk_` and four characters (24 bits): enough to tell keys apart, far too few to guess one. */
const PREFIX_LENGTH = 7;

export interface NewApiKey {
  /** The key, shown once to its creator and never stored. */
  key: string;
  /** What is stored: SHA-256 of the key (a fast hash fits 256 random bits; see `hashToken`). */
  hash: string;
  prefix: string;
}

export function generateApiKey(): NewApiKey {
  const key = `sk_${randomToken(32)}`;
  return { key, hash: hashToken(key), prefix: key.slice(0, PREFIX_LENGTH) };
}

/** True for text shaped like a key; anything else is refused before the database is asked. */
export function isWellFormedApiKey(text: string): boolean {
  return KEY_PATTERN.test(text);
}
