import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { README_PATH, readmeSettingsSection, settingsTable } from '../../scripts/settings-table.js';
import { loadMasterKey } from '../security/keys/master-key.js';
import { ConfigError, SETTINGS, isLoopbackHost, loadConfig } from './index.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'chefia-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const randomKey = (): string => randomBytes(32).toString('base64');

/** The error `loadConfig` throws for these settings; fails the test when it does not throw. */
function configError(env: NodeJS.ProcessEnv, overrides = {}): ConfigError {
  try {
    loadConfig(env, overrides);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

/** A configuration file holding exactly `text`. */
function configFile(text: string): string {
  const file = path.join(scratch, `${randomBytes(4).toString('hex')}.json`);
  writeFileSync(file, text);
  return file;
}

/** A production environment that passes every check; tests remove or spoil one thing. */
function production(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'production',
    CHEFIA_MASTER_KEY: randomKey(),
    CHEFIA_TLS_CERT_FILE: '/etc/chefia/tls/cert.pem',
    CHEFIA_TLS_KEY_FILE: '/etc/chefia/tls/key.pem',
    ...extra,
  };
}

describe('configuration', () => {
  describe('defaults', () => {
    it('starts a development server over HTTPS on loopback port 8001 with ./data', () => {
      const config = loadConfig({});

      expect(config.mode).toBe('development');
      expect(config.dataDir).toBe(path.resolve('data'));
      expect(config.http.host).toBe('127.0.0.1');
      expect(config.http.port).toBe(8001);
      expect(config.http.tls).toEqual({ enabled: true });
      expect(config.http.trustedProxies).toEqual([]);
      expect(config.http.bodyLimitBytes).toBe(1_048_576);
      expect(config.http.corsOrigins).toEqual([
        'https://pos.chefia.com.br',
        'https://kds.chefia.com.br',
        'https://admin.chefia.com.br',
      ]);
      expect(config.masterKey).toEqual({});
      expect(config.database).toEqual({ tls: 'off', poolSize: 10 });
      expect(config.redis).toEqual({});
      expect(config.logging.level).toBe('info');
      expect(config.docs.enabled).toBe(true);
    });

    it('turns the API docs off by default in production', () => {
      expect(loadConfig(production()).docs.enabled).toBe(false);
    });

    it('accepts the usual spellings of booleans', () => {
      for (const off of ['false', 'FALSE', '0', 'no', 'off']) {
        expect(loadConfig({ CHEFIA_TLS: off }).http.tls.enabled).toBe(false);
      }
      for (const on of ['true', 'True', '1', 'yes', 'on']) {
        expect(loadConfig({ CHEFIA_TLS: on }).http.tls.enabled).toBe(true);
      }
    });
  });

  describe('invalid values', () => {
    it.each([
      ['a bad integer', 'CHEFIA_PORT', 'eighty-eighty', /must be an integer/],
      ['a fractional integer', 'CHEFIA_PORT', '8001.5', /must be an integer/],
      ['an integer above its range', 'CHEFIA_PORT', '7000000', /at most 65535/],
      ['an integer below its range', 'CHEFIA_BODY_LIMIT_BYTES', '512', /at least 1024/],
      ['a bad boolean', 'CHEFIA_TLS', 'perhaps', /true or false/],
      ['a bad enum value', 'NODE_ENV', 'staging', /one of: development, production, test/],
      ['a bad log level', 'CHEFIA_LOG_LEVEL', 'verbose', /one of/],
      ['a bad database TLS mode', 'CHEFIA_DATABASE_TLS', 'prefer', /one of: off, require/],
    ])('refuses %s, naming the setting but not the value', (_case, name, value, reason) => {
      const error = configError({ [name]: value });

      expect(error.message).toContain(name);
      expect(error.message).toMatch(reason);
      expect(error.message).not.toContain(value);
    });

    it('refuses an unknown CHEFIA_ variable, so a typo cannot silently fall back', () => {
      const error = configError({ CHEFIA_PROT: '9000' });

      expect(error.message).toContain('CHEFIA_PROT');
      expect(error.message).not.toContain('9000');
    });

    it('ignores variables that are not its own', () => {
      expect(() => loadConfig({ PATH: '/usr/bin', HOME: '/root', PGPASSWORD: 'x' })).not.toThrow();
    });

    it('refuses an unknown key in CHEFIA_CONFIG_FILE', () => {
      const file = configFile(JSON.stringify({ CHEFIA_PORT: 9000, CHEFIA_TSL: 'on' }));
      const error = configError({ CHEFIA_CONFIG_FILE: file });

      expect(error.message).toContain('CHEFIA_TSL');
      expect(error.message).toContain('CHEFIA_CONFIG_FILE');
    });

    it('refuses a configuration file that is not a JSON object, without quoting it', () => {
      const secret = 'hunter2-in-a-broken-file';
      for (const text of [`{"CHEFIA_MASTER_KEY": "${secret}",`, `["${secret}"]`, 'null']) {
        const error = configError({ CHEFIA_CONFIG_FILE: configFile(text) });

        expect(error.message).toContain('CHEFIA_CONFIG_FILE');
        expect(error.message).not.toContain(secret);
      }
    });

    it('refuses a missing configuration file', () => {
      const error = configError({ CHEFIA_CONFIG_FILE: path.join(scratch, 'absent.json') });
      expect(error.message).toContain('CHEFIA_CONFIG_FILE');
    });
  });

  describe('secret settings', () => {
    const secretNames = SETTINGS.filter((s) => 'secret' in s && s.secret).map((s) => s.env);

    it('marks the master key and the connection URLs as secret', () => {
      expect(secretNames).toEqual(
        expect.arrayContaining(['CHEFIA_MASTER_KEY', 'DATABASE_URL', 'REDIS_URL']),
      );
    });

    it.each(secretNames)('never echoes %s when its type is wrong in the file', (name) => {
      const secret = 'postgres://pos:S3cr3t-Passw0rd@db.internal/pos';
      const file = configFile(JSON.stringify({ [name]: { value: secret } }));
      const error = configError({ CHEFIA_CONFIG_FILE: file });

      expect(error.message).toContain(name);
      expect(error.message).not.toContain('S3cr3t-Passw0rd');
    });

    it.each([
      ['placeholder text', 'changeme-changeme-changeme', /placeholder/],
      ['text that is not base64', 'my master key: Tr0ub4dor&3 horse', /base64/],
      ['a short key', randomBytes(16).toString('base64'), /exactly 32 bytes/],
      [
        'a placeholder encoded in base64',
        Buffer.from('changeme'.repeat(4)).toString('base64'),
        /random/,
      ],
      ['32 zero bytes', Buffer.alloc(32).toString('base64'), /not random enough/],
      [
        'a varied phrase encoded in base64',
        Buffer.from('this-is-my-example-key-change-it').toString('base64'),
        /encodes text/,
      ],
    ])('refuses %s as CHEFIA_MASTER_KEY without echoing it', (_case, key, reason) => {
      const error = configError(production({ CHEFIA_MASTER_KEY: key }));

      expect(error.message).toContain('CHEFIA_MASTER_KEY');
      expect(error.message).toMatch(reason);
      expect(error.message).not.toContain(key);
      expect(error.message).not.toContain(Buffer.from(key, 'base64').toString('latin1'));
    });

    it('checks a key file the same way and names the setting, not the content', () => {
      const file = configFile('changeme-changeme-changeme\n');
      const config = loadConfig({ CHEFIA_MASTER_KEY_FILE: file });

      expect(() => loadMasterKey(config)).toThrow(ConfigError);
      expect(() => loadMasterKey(config)).toThrow(/CHEFIA_MASTER_KEY_FILE/);
      expect(() => loadMasterKey(config)).not.toThrow(/changeme/);
    });
  });

  describe('production', () => {
    it('starts with a strong key, certificate files and defaults', () => {
      const config = loadConfig(production());

      expect(config.mode).toBe('production');
      expect(config.http.tls.certFile).toBe('/etc/chefia/tls/cert.pem');
    });

    it('accepts the master key from a file instead of the environment', () => {
      const env = production({ CHEFIA_MASTER_KEY: undefined, CHEFIA_MASTER_KEY_FILE: '/run/key' });
      expect(loadConfig(env).masterKey).toEqual({ file: '/run/key' });
    });

    it('refuses to start without a master key', () => {
      const error = configError(production({ CHEFIA_MASTER_KEY: undefined }));
      expect(error.message).toContain('CHEFIA_MASTER_KEY');
    });

    it('refuses an empty master key', () => {
      const error = configError(production({ CHEFIA_MASTER_KEY: '' }));
      expect(error.message).toContain('CHEFIA_MASTER_KEY');
    });

    it('refuses TLS without certificate files (no self-signed certificate in production)', () => {
      const error = configError(
        production({ CHEFIA_TLS_CERT_FILE: undefined, CHEFIA_TLS_KEY_FILE: undefined }),
      );
      expect(error.message).toContain('CHEFIA_TLS_CERT_FILE');
    });

    it('refuses a certificate without its key, in any mode', () => {
      const error = configError({ CHEFIA_TLS_CERT_FILE: '/etc/chefia/tls/cert.pem' });
      expect(error.message).toContain('CHEFIA_TLS_KEY_FILE');
    });

    it('refuses API docs unless diagnostics are explicitly allowed', () => {
      const error = configError(production({ CHEFIA_DOCS_ENABLED: 'true' }));
      expect(error.message).toContain('CHEFIA_DOCS_ENABLED');
      expect(error.message).toContain('CHEFIA_ALLOW_DIAGNOSTICS');

      const allowed = production({ CHEFIA_DOCS_ENABLED: 'true', CHEFIA_ALLOW_DIAGNOSTICS: 'true' });
      expect(loadConfig(allowed).docs.enabled).toBe(true);
    });

    it.each(['debug', 'trace'])(
      'refuses %s logging unless diagnostics are explicitly allowed',
      (level) => {
        const error = configError(production({ CHEFIA_LOG_LEVEL: level }));
        expect(error.message).toContain('CHEFIA_LOG_LEVEL');
        expect(error.message).toContain('CHEFIA_ALLOW_DIAGNOSTICS');

        const allowed = production({ CHEFIA_LOG_LEVEL: level, CHEFIA_ALLOW_DIAGNOSTICS: 'true' });
        expect(loadConfig(allowed).logging.level).toBe(level);
      },
    );

    it('does not let CHEFIA_ALLOW_DIAGNOSTICS=false count as permission', () => {
      const env = production({ CHEFIA_DOCS_ENABLED: 'true', CHEFIA_ALLOW_DIAGNOSTICS: 'false' });
      expect(configError(env).message).toContain('CHEFIA_DOCS_ENABLED');
    });
  });

  describe('transport', () => {
    it.each(['development', 'test', 'production'])(
      'refuses plain HTTP on 0.0.0.0 without trusted proxies in %s mode',
      (mode) => {
        const env = {
          ...production(),
          NODE_ENV: mode,
          CHEFIA_TLS: 'false',
          CHEFIA_HOST: '0.0.0.0',
        };
        const error = configError(env);

        expect(error.message).toContain('CHEFIA_TLS');
        expect(error.message).toContain('CHEFIA_TRUSTED_PROXIES');
      },
    );

    it.each(['10.0.0.5', '::', '192.168.1.20'])('refuses plain HTTP on %s', (host) => {
      expect(() => loadConfig({ CHEFIA_TLS: 'false', CHEFIA_HOST: host })).toThrow(ConfigError);
    });

    it.each(['127.0.0.1', '127.0.0.2', '::1', 'localhost'])(
      'allows plain HTTP on loopback address %s',
      (host) => {
        const config = loadConfig({ CHEFIA_TLS: 'false', CHEFIA_HOST: host });
        expect(config.http.tls.enabled).toBe(false);
      },
    );

    it('allows plain HTTP on every address behind a configured TLS-terminating proxy', () => {
      const config = loadConfig(
        production({
          CHEFIA_TLS: 'false',
          CHEFIA_HOST: '0.0.0.0',
          CHEFIA_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.0.1',
        }),
      );
      expect(config.http.trustedProxies).toEqual(['10.0.0.0/8', '192.168.0.1']);
    });

    it('serves HTTPS on every address without further conditions', () => {
      expect(loadConfig({ CHEFIA_HOST: '0.0.0.0' }).http.tls.enabled).toBe(true);
    });

    it('knows which hosts are loopback', () => {
      expect(['127.0.0.1', '127.9.9.9', '::1', '[::1]', 'localhost'].map(isLoopbackHost)).toEqual([
        true,
        true,
        true,
        true,
        true,
      ]);
      expect(
        ['0.0.0.0', '::', '10.0.0.1', '127.0.0.1.nip.io', 'localhost.evil'].map(isLoopbackHost),
      ).toEqual([false, false, false, false, false]);
    });
  });

  describe('CORS origins', () => {
    it('accepts bare origins', () => {
      const config = loadConfig({
        CHEFIA_CORS_ORIGINS: 'https://pos.example.com.br, http://localhost:5173',
      });
      expect(config.http.corsOrigins).toEqual([
        'https://pos.example.com.br',
        'http://localhost:5173',
      ]);
    });

    it.each([
      ['a trailing slash', 'https://pos.example.com.br/'],
      ['a path', 'https://pos.example.com.br/app'],
      ['credentials', 'https://user:pass@pos.example.com.br'],
      ['a query', 'https://pos.example.com.br?x=1'],
      ['no scheme', 'pos.example.com.br'],
      ['a wildcard', '*'],
      ['null', 'null'],
    ])('refuses an origin with %s', (_case, origin) => {
      const error = configError({ CHEFIA_CORS_ORIGINS: `https://ok.example,${origin}` });
      expect(error.message).toContain('CHEFIA_CORS_ORIGINS');
    });
  });

  describe('precedence', () => {
    const file = configFile(
      JSON.stringify({ CHEFIA_PORT: 7001, CHEFIA_TLS: false, CHEFIA_LOG_LEVEL: 'warn' }),
    );

    it('reads the file, with JSON numbers and booleans as values', () => {
      const config = loadConfig({ CHEFIA_CONFIG_FILE: file });

      expect(config.http.port).toBe(7001);
      expect(config.http.tls.enabled).toBe(false);
      expect(config.logging.level).toBe('warn');
    });

    it('lets the environment win over the file', () => {
      const config = loadConfig({ CHEFIA_CONFIG_FILE: file, CHEFIA_PORT: '7002' });

      expect(config.http.port).toBe(7002);
      expect(config.logging.level).toBe('warn');
    });

    it('lets command-line flags win over the environment and the file', () => {
      const config = loadConfig(
        { CHEFIA_CONFIG_FILE: file, CHEFIA_PORT: '7002', CHEFIA_DATA_DIR: '/srv/env' },
        { CHEFIA_PORT: '7003', CHEFIA_DATA_DIR: '/srv/flag' },
      );

      expect(config.http.port).toBe(7003);
      expect(config.dataDir).toBe('/srv/flag');
    });

    it('validates a flag like any other value', () => {
      expect(configError({}, { CHEFIA_PORT: 'http' }).message).toContain('CHEFIA_PORT');
    });
  });

  describe('README configuration reference', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    const section = readmeSettingsSection(readme);

    it('is exactly the table scripts/settings-table.ts generates from SETTINGS', async () => {
      // Regenerate with `npx tsx scripts/settings-table.ts --write`.
      expect(section).toBe(await settingsTable());
    });

    it('lists every setting by its variable name', () => {
      for (const setting of SETTINGS) {
        expect(section).toContain(`| \`${setting.env}\``);
      }
    });
  });
});
