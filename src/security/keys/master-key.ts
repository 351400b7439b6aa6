import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { AppConfig } from '../../config/config.js';
import { ConfigError, checkMasterKeyStrength } from '../../config/index.js';
import type { Logger } from '../../infra/logging/logger.js';
import { hkdfSha256 } from '../crypto/kdf.js';
import { deriveBlindIndexKey } from '../crypto/index.js';

export const DEVELOPMENT_MASTER_KEY_FILE = 'master.key';

/** Keys derived from the master key, each for one purpose. */
export interface DerivedKeys {
  masterKey: Buffer;
  blindIndexKey: Buffer;
  /** Keys the correlating hash of client addresses in the audit trail. */
  ipHashKey: Buffer;
  /** Keys the audit trail's hash chain, so rows rewritten in the database cannot re-chain. */
  auditChainKey: Buffer;
}

/**
 * Loads the master key from the environment or the key file. A development start without one
 * creates `<data dir>/master.key` (mode 0600) and says so in the log, never printing the key.
 * Production never reaches the generating branch: the configuration check refuses it first.
 */
export function loadMasterKey(config: AppConfig, logger?: Logger): DerivedKeys {
  const masterKey = readMasterKey(config, logger);
  return {
    masterKey,
    blindIndexKey: deriveBlindIndexKey(masterKey),
    ipHashKey: hkdfSha256(masterKey, Buffer.alloc(0), 'chefia/audit-ip-hash/v1', 32),
    auditChainKey: hkdfSha256(masterKey, Buffer.alloc(0), 'chefia/audit-chain/v1', 32),
  };
}

function readMasterKey(config: AppConfig, logger?: Logger): Buffer {
  if (config.masterKey.value) {
    return checkMasterKeyStrength(config.masterKey.value, 'CHEFIA_MASTER_KEY');
  }
  if (config.masterKey.file) {
    return readKeyFile(config.masterKey.file, 'CHEFIA_MASTER_KEY_FILE');
  }
  if (config.mode === 'production') {
    throw new ConfigError('CHEFIA_MASTER_KEY (or CHEFIA_MASTER_KEY_FILE) is required.');
  }

  const file = path.join(config.dataDir, DEVELOPMENT_MASTER_KEY_FILE);
  if (existsSync(file)) return readKeyFile(file, 'the development master key file');

  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  logger?.warn({ file }, 'generated a development master key; configure CHEFIA_MASTER_KEY');
  return readKeyFile(file, 'the development master key file');
}

function readKeyFile(file: string, label: string): Buffer {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`${label} could not be read.`);
  }
  return checkMasterKeyStrength(content, label);
}
