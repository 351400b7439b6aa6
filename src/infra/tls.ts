import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import path from 'node:path';

import selfsigned from 'selfsigned';

import type { AppConfig } from '../config/config.js';
import { ConfigError } from '../config/load.js';
import type { Logger } from './logging/logger.js';

/**
 * Forward-secret AEAD suites only, for TLS 1.2 (ECDHE key exchange with AES-GCM or
 * ChaCha20-Poly1305). The seed also listed AES256-GCM-SHA384 and AES128-GCM-SHA256, which use
 * static RSA key exchange and so lack forward secrecy; they are left out on purpose. TLS 1.3's
 * suites are all AEAD with ephemeral keys and are configured separately by OpenSSL.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

export const DEVELOPMENT_CERT_FILE = 'tls-cert.pem';
export const DEVELOPMENT_KEY_FILE = 'tls-key.pem';

/** TLS options for the HTTPS listener: TLS 1.2 and 1.3 only, with the suites above. */
export async function tlsOptions(config: AppConfig, logger: Logger): Promise<ServerOptions> {
  const { cert, key } = await certificateFiles(config, logger);
  return {
    cert: readFileSync(cert),
    key: readFileSync(key),
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: TLS12_CIPHERS,
    honorCipherOrder: true,
  };
}

async function certificateFiles(
  config: AppConfig,
  logger: Logger,
): Promise<{ cert: string; key: string }> {
  const { certFile, keyFile } = config.http.tls;
  if (certFile && keyFile) {
    if (!existsSync(certFile) || !existsSync(keyFile)) {
      throw new ConfigError('CHEFIA_TLS_CERT_FILE or CHEFIA_TLS_KEY_FILE does not exist.');
    }
    return { cert: certFile, key: keyFile };
  }

  const cert = path.join(config.dataDir, DEVELOPMENT_CERT_FILE);
  const key = path.join(config.dataDir, DEVELOPMENT_KEY_FILE);
  if (existsSync(cert) && existsSync(key)) return { cert, key };

  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 1);
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  writeFileSync(key, pems.private, { mode: 0o600 });
  writeFileSync(cert, pems.cert, { mode: 0o600 });
  logger.warn({ file: cert }, 'generated a self-signed development certificate');
  return { cert, key };
}
