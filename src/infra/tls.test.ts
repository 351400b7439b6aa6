import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

import selfsigned from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { captureLogs } from '../../test/helpers/logs.js';
import { freeLoopbackPort } from '../../test/helpers/ports.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { startServer, type RunningServer } from '../server.js';
import { DEVELOPMENT_MASTER_KEY_FILE } from '../security/keys/master-key.js';
import { DEVELOPMENT_CERT_FILE, DEVELOPMENT_KEY_FILE } from './tls.js';

interface Handshake {
  protocol: string | null;
  cipher: string;
}

/** Opens a TLS connection to `port` and reports what was negotiated. */
function handshake(port: number, options: tls.ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
    socket.once('secureConnect', () => {
      const negotiated = { protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      socket.end();
      resolve(negotiated);
    });
    socket.once('error', reject);
  });
}

/** Lets a client attempt what modern OpenSSL defaults would not even offer. */
const LEGACY_CLIENT: tls.ConnectionOptions = {
  minVersion: 'TLSv1',
  maxVersion: 'TLSv1.1',
  ciphers: 'DEFAULT:@SECLEVEL=0',
};

function request(
  client: typeof http | typeof https,
  options: https.RequestOptions,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = client.request({ host: '127.0.0.1', ...options }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    outgoing.once('error', reject);
    outgoing.end();
  });
}

/** A plain Node TLS server with OpenSSL's permissive defaults: the control for refusals. */
async function permissiveServer(pems: { cert: string; key: string }) {
  const server = tls.createServer({ ...pems, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
  server.on('secureConnection', (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

describe('HTTPS listener', () => {
  describe('a development start with a generated certificate', () => {
    const logs = captureLogs();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-tls-'));
    let server: RunningServer;
    let port: number;
    let redirectPort: number;
    let cert: Buffer;

    beforeAll(async () => {
      redirectPort = await freeLoopbackPort();
      const config = loadConfig({
        NODE_ENV: 'test',
        CHEFIA_DATA_DIR: dataDir,
        CHEFIA_HOST: '127.0.0.1',
        CHEFIA_PORT: '0',
        CHEFIA_HTTP_REDIRECT_PORT: String(redirectPort),
      });
      server = await startServer(config, { logger: logs.logger });
      port = Number(new URL(server.origin).port);
      cert = readFileSync(path.join(dataDir, DEVELOPMENT_CERT_FILE));
    });
    afterAll(async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('listens over HTTPS on the configured loopback address', () => {
      expect(server.origin).toBe(`https://127.0.0.1:${port}`);
      expect(port).toBeGreaterThan(0);
    });

    it('refuses TLS 1.1 (and older)', async () => {
      await expect(handshake(port, LEGACY_CLIENT)).rejects.toThrow(/protocol|version/i);
    });

    it('refuses a TLS 1.2 suite without forward secrecy (AES256-GCM-SHA384)', async () => {
      await expect(
        handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'AES256-GCM-SHA384' }),
      ).rejects.toThrow();
    });

    it('accepts TLS 1.2 with ECDHE-ECDSA-AES128-GCM-SHA256', async () => {
      const negotiated = await handshake(port, {
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
      });
      expect(negotiated).toEqual({ protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
    });

    it('accepts TLS 1.3', async () => {
      const negotiated = await handshake(port, { minVersion: 'TLSv1.3' });
      expect(negotiated.protocol).toBe('TLSv1.3');
    });

    it('answers /health/ready with HSTS over a certificate valid for 127.0.0.1', async () => {
      const response = await request(https, { port, path: '/health/ready', ca: cert });

      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ status: 'ok', checks: { database: 'ok' } });
      expect(response.headers['strict-transport-security']).toBe(
        'max-age=31536000; includeSubDomains',
      );
    });

    it('writes the generated certificate, its key and the master key with mode 0600', () => {
      for (const file of [
        DEVELOPMENT_CERT_FILE,
        DEVELOPMENT_KEY_FILE,
        DEVELOPMENT_MASTER_KEY_FILE,
      ]) {
        expect(statSync(path.join(dataDir, file)).mode & 0o777, file).toBe(0o600);
      }
    });

    it('says in the log what it generated, but never the key material', () => {
      const text = logs.text();
      expect(text).toContain('generated a self-signed development certificate');
      expect(text).toContain('generated a development master key');

      const keyLines = [
        ...readFileSync(path.join(dataDir, DEVELOPMENT_KEY_FILE), 'utf8').split('\n'),
        ...readFileSync(path.join(dataDir, DEVELOPMENT_MASTER_KEY_FILE), 'utf8').split('\n'),
      ].filter((line) => line.length >= 16 && !line.startsWith('-----'));
      expect(keyLines.length).toBeGreaterThan(0);
      for (const line of keyLines) expect(text).not.toContain(line);
    });

    describe('the plain-HTTP redirect listener', () => {
      it('answers 308 with the same path on the HTTPS origin', async () => {
        const response = await request(http, {
          port: redirectPort,
          path: '/health/ready?probe=1',
        });

        expect(response.status).toBe(308);
        expect(response.headers.location).toBe(`${server.origin}/health/ready?probe=1`);
      });

      it('never serves the API, whatever the method', async () => {
        for (const method of ['GET', 'POST', 'DELETE']) {
          const response = await request(http, {
            port: redirectPort,
            path: '/health/ready',
            method,
          });

          expect(response.status).toBe(308);
          expect(response.body).toBe('');
        }
      });

      describe('security', () => {
        it('cannot be made to redirect to another host (//evil.example/)', async () => {
          const response = await request(http, { port: redirectPort, path: '//evil.example/x' });

          expect(response.status).toBe(308);
          const location = new URL(response.headers.location ?? '');
          expect(location.origin).toBe(server.origin);
          expect(location.pathname).toBe('//evil.example/x');
        });
      });
    });
  });

  describe('a start with configured certificate files', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-tls-'));
    const certFile = path.join(dataDir, 'operator-cert.pem');
    const keyFile = path.join(dataDir, 'operator-key.pem');
    let pems: { cert: string; key: string };
    let server: RunningServer;
    let port: number;

    beforeAll(async () => {
      // An RSA certificate: the only kind with which a static-RSA suite could be negotiated.
      const generated = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
        keyType: 'rsa',
        keySize: 2048,
        algorithm: 'sha256',
      });
      pems = { cert: generated.cert, key: generated.private };
      writeFileSync(certFile, pems.cert);
      writeFileSync(keyFile, pems.key, { mode: 0o600 });

      const config = loadConfig({
        NODE_ENV: 'test',
        CHEFIA_DATA_DIR: dataDir,
        CHEFIA_PORT: '0',
        CHEFIA_TLS_CERT_FILE: certFile,
        CHEFIA_TLS_KEY_FILE: keyFile,
        CHEFIA_LOG_LEVEL: 'silent',
      });
      server = await startServer(config);
      port = Number(new URL(server.origin).port);
    });
    afterAll(async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('serves the operator certificate and generates none', async () => {
      const negotiated = await handshake(port, {});

      expect(negotiated.protocol).toBe('TLSv1.3');
      expect(() => statSync(path.join(dataDir, DEVELOPMENT_CERT_FILE))).toThrow();
    });

    it('refuses AES256-GCM-SHA384, which a default Node server accepts', async () => {
      const control = await permissiveServer(pems);
      try {
        const accepted = await handshake(control.port, {
          maxVersion: 'TLSv1.2',
          ciphers: 'AES256-GCM-SHA384',
        });
        expect(accepted.cipher).toBe('AES256-GCM-SHA384');
      } finally {
        control.close();
      }

      await expect(
        handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'AES256-GCM-SHA384' }),
      ).rejects.toThrow();
    });

    it('refuses TLS 1.1, which a permissive server accepts from the same client', async () => {
      const control = await permissiveServer(pems);
      try {
        expect((await handshake(control.port, LEGACY_CLIENT)).protocol).toBe('TLSv1.1');
      } finally {
        control.close();
      }

      await expect(handshake(port, LEGACY_CLIENT)).rejects.toThrow();
    });

    it('accepts TLS 1.2 with ECDHE-RSA-AES256-GCM-SHA384', async () => {
      const negotiated = await handshake(port, {
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-RSA-AES256-GCM-SHA384',
      });
      expect(negotiated).toEqual({ protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384' });
    });

    it('refuses to start when the files do not exist', async () => {
      const config = loadConfig({
        NODE_ENV: 'test',
        CHEFIA_DATA_DIR: dataDir,
        CHEFIA_PORT: '0',
        CHEFIA_TLS_CERT_FILE: path.join(dataDir, 'missing-cert.pem'),
        CHEFIA_TLS_KEY_FILE: keyFile,
        CHEFIA_LOG_LEVEL: 'silent',
      });
      await expect(startServer(config)).rejects.toThrow(ConfigError);
    });
  });
});
