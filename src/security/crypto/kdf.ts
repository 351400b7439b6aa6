import { hkdfSync } from 'node:crypto';

/**
 * HKDF-SHA-256 (RFC 5869). A thin wrapper so every derivation in the codebase goes through one
 * call pattern, and so the RFC vectors can be fed to exactly that pattern.
 */
export function hkdfSha256(
  inputKey: Buffer,
  salt: Buffer,
  info: string | Buffer,
  length: number,
): Buffer {
  return Buffer.from(hkdfSync('sha256', inputKey, salt, info, length));
}
