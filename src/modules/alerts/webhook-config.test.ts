import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../../config/index.js';

/** 32 characters that match none of the placeholder words. */
const SECRET = 'Zq7vN2kR9mW4pL8sH3cJ6fB1dY5gQ0aE';
const URL = 'https://siem.example.com.br/chefia-alerts';

function load(env: NodeJS.ProcessEnv) {
  return loadConfig({ NODE_ENV: 'development', ...env });
}

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** Production settings that pass every other check. */
const production = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
  NODE_ENV: 'production',
  CHEFIA_MASTER_KEY: randomBytes(32).toString('base64'),
  CHEFIA_TLS_CERT_FILE: '/etc/chefia/tls/cert.pem',
  CHEFIA_TLS_KEY_FILE: '/etc/chefia/tls/key.pem',
  ...extra,
});

describe('alert webhook settings', () => {
  it('reads the URL, the secret and the private-target opt-in', () => {
    const config = load({
      CHEFIA_ALERT_WEBHOOK_URL: URL,
      CHEFIA_ALERT_WEBHOOK_SECRET: SECRET,
      CHEFIA_ALERT_WEBHOOK_ALLOW_PRIVATE: 'true',
    });
    expect(config.alerts).toEqual({ webhookUrl: URL, webhookSecret: SECRET, allowPrivate: true });
  });

  it('is off by default, with private targets refused', () => {
    expect(load({}).alerts).toEqual({ allowPrivate: false });
  });

  it.each([
    ['a URL without its secret', { CHEFIA_ALERT_WEBHOOK_URL: URL }, /SECRET is required/],
    ['a secret without a URL', { CHEFIA_ALERT_WEBHOOK_SECRET: SECRET }, /without/],
    [
      'a short secret',
      { CHEFIA_ALERT_WEBHOOK_URL: URL, CHEFIA_ALERT_WEBHOOK_SECRET: 'short-secret' },
      /at least 32/,
    ],
    [
      'plain HTTP',
      {
        CHEFIA_ALERT_WEBHOOK_URL: 'http://siem.example.com.br/',
        CHEFIA_ALERT_WEBHOOK_SECRET: SECRET,
      },
      /must use https/,
    ],
    [
      'credentials in the URL',
      {
        CHEFIA_ALERT_WEBHOOK_URL: 'https://user:pass@siem.example.com.br/',
        CHEFIA_ALERT_WEBHOOK_SECRET: SECRET,
      },
      /credentials/,
    ],
    [
      'a URL that is not one',
      { CHEFIA_ALERT_WEBHOOK_URL: 'siem.example', CHEFIA_ALERT_WEBHOOK_SECRET: SECRET },
      /absolute https URL/,
    ],
  ])('refuses %s', (_case, env, message) => {
    expect(refusal(env)).toMatch(message);
  });

  it('refuses a placeholder secret in production, naming the setting but not the value', () => {
    const placeholder = 'change-me-change-me-change-me-change-me';

    const message = refusal(
      production({ CHEFIA_ALERT_WEBHOOK_URL: URL, CHEFIA_ALERT_WEBHOOK_SECRET: placeholder }),
    );

    expect(message).toMatch(/CHEFIA_ALERT_WEBHOOK_SECRET looks like a placeholder/);
    expect(message).not.toContain(placeholder);
    expect(
      load(production({ CHEFIA_ALERT_WEBHOOK_URL: URL, CHEFIA_ALERT_WEBHOOK_SECRET: SECRET }))
        .alerts.webhookSecret,
    ).toBe(SECRET);
  });

  it('reads the optional loopback metrics port', () => {
    expect(load({ CHEFIA_METRICS_PORT: '9464' }).metrics).toEqual({ port: 9464 });
    expect(load({}).metrics).toEqual({});
  });
});
