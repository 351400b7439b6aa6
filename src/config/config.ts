import { isRole, type Role } from '../security/authz/permissions.js';
import { readProtectionConfig, type ProtectionConfig } from '../security/protection/config.js';
import {
  ConfigError,
  SettingReader,
  isLoopbackHost,
  readRawSettings,
  resolvePath,
} from './load.js';

export type RunMode = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The validated configuration every part of the server reads. Built once at start. */
export interface AppConfig {
  mode: RunMode;
  dataDir: string;
  http: {
    host: string;
    port: number;
    tls: { enabled: boolean; certFile?: string; keyFile?: string };
    redirectPort?: number;
    publicOrigin?: string;
    trustedProxies: string[];
    corsOrigins: string[];
    bodyLimitBytes: number;
  };
  masterKey: { value?: string; file?: string };
  database: { url?: string; tls: 'off' | 'require' | 'verify'; poolSize: number };
  redis: { url?: string };
  logging: { level: LogLevel };
  docs: { enabled: boolean };
  auth: {
    accessTokenTtlSeconds: number;
    refreshTokenTtlHours: number;
    lockoutThreshold: number;
    lockoutMinutes: number;
    mfaRequiredRoles: Role[];
    passwordComposition: boolean;
    setupSecretTtlMinutes: number;
    approvalTtlSeconds: number;
  };
  orders: { discountApprovalPercent: number };
  payments: { cashWithdrawalApprovalCents: number; pixWebhookSecret?: string };
  uploads: { maxImageBytes: number; maxImagePixels: number };
  dataKeys: { reloadSeconds: number };
  alerts: { webhookUrl?: string; webhookSecret?: string; allowPrivate: boolean };
  metrics: { port?: number };
  protection: ProtectionConfig;
}

export type SettingOverrides = Parameters<typeof readRawSettings>[1];

const PLACEHOLDER_PATTERN = /change|example|placeholder|secret|default|password|xxxx|test/i;

/**
 * Builds the configuration from the environment (and optional file), applying `overrides` from
 * command-line flags. Throws `ConfigError` naming the first setting that is wrong.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: SettingOverrides = {},
): AppConfig {
  const settings = new SettingReader(readRawSettings(env, overrides));
  const mode = settings.enumValue<RunMode>('NODE_ENV');
  const production = mode === 'production';
  const diagnosticsAllowed = settings.boolean('CHEFIA_ALLOW_DIAGNOSTICS') ?? false;

  const config: AppConfig = {
    mode,
    dataDir: resolvePath(settings.requiredString('CHEFIA_DATA_DIR')),
    http: {
      host: settings.requiredString('CHEFIA_HOST'),
      port: settings.requiredInteger('CHEFIA_PORT'),
      tls: {
        enabled: settings.boolean('CHEFIA_TLS') ?? true,
        ...optional('certFile', settings.string('CHEFIA_TLS_CERT_FILE')),
        ...optional('keyFile', settings.string('CHEFIA_TLS_KEY_FILE')),
      },
      ...optional('redirectPort', settings.integer('CHEFIA_HTTP_REDIRECT_PORT')),
      ...optional('publicOrigin', settings.string('CHEFIA_PUBLIC_ORIGIN')),
      trustedProxies: settings.list('CHEFIA_TRUSTED_PROXIES'),
      corsOrigins: settings.list('CHEFIA_CORS_ORIGINS'),
      bodyLimitBytes: settings.requiredInteger('CHEFIA_BODY_LIMIT_BYTES'),
    },
    masterKey: {
      ...optional('value', settings.string('CHEFIA_MASTER_KEY')),
      ...optional('file', settings.string('CHEFIA_MASTER_KEY_FILE')),
    },
    database: {
      ...optional('url', settings.string('DATABASE_URL')),
      tls: settings.enumValue('CHEFIA_DATABASE_TLS'),
      poolSize: settings.requiredInteger('CHEFIA_DATABASE_POOL_SIZE'),
    },
    redis: { ...optional('url', settings.string('REDIS_URL')) },
    logging: { level: settings.enumValue<LogLevel>('CHEFIA_LOG_LEVEL') },
    docs: { enabled: settings.boolean('CHEFIA_DOCS_ENABLED') ?? !production },
    auth: {
      accessTokenTtlSeconds: settings.requiredInteger('CHEFIA_ACCESS_TOKEN_TTL_SECONDS'),
      refreshTokenTtlHours: settings.requiredInteger('CHEFIA_REFRESH_TOKEN_TTL_HOURS'),
      lockoutThreshold: settings.requiredInteger('CHEFIA_LOCKOUT_THRESHOLD'),
      lockoutMinutes: settings.requiredInteger('CHEFIA_LOCKOUT_MINUTES'),
      mfaRequiredRoles: roleList(settings.list('CHEFIA_MFA_REQUIRED_ROLES')),
      passwordComposition: settings.boolean('CHEFIA_PASSWORD_COMPOSITION') ?? false,
      setupSecretTtlMinutes: settings.requiredInteger('CHEFIA_SETUP_SECRET_TTL_MINUTES'),
      approvalTtlSeconds: settings.requiredInteger('CHEFIA_APPROVAL_TTL_SECONDS'),
    },
    orders: {
      discountApprovalPercent: settings.requiredInteger('CHEFIA_DISCOUNT_APPROVAL_PERCENT'),
    },
    payments: {
      cashWithdrawalApprovalCents: settings.requiredInteger(
        'CHEFIA_CASH_WITHDRAWAL_APPROVAL_CENTS',
      ),
      ...optional('pixWebhookSecret', settings.string('CHEFIA_PIX_WEBHOOK_SECRET')),
    },
    uploads: {
      maxImageBytes: settings.requiredInteger('CHEFIA_UPLOAD_MAX_IMAGE_BYTES'),
      maxImagePixels: settings.requiredInteger('CHEFIA_UPLOAD_MAX_IMAGE_PIXELS'),
    },
    dataKeys: { reloadSeconds: settings.requiredInteger('CHEFIA_DATA_KEY_RELOAD_SECONDS') },
    alerts: {
      ...optional('webhookUrl', settings.string('CHEFIA_ALERT_WEBHOOK_URL')),
      ...optional('webhookSecret', settings.string('CHEFIA_ALERT_WEBHOOK_SECRET')),
      allowPrivate: settings.boolean('CHEFIA_ALERT_WEBHOOK_ALLOW_PRIVATE') ?? false,
    },
    metrics: { ...optional('port', settings.integer('CHEFIA_METRICS_PORT')) },
    protection: readProtectionConfig(settings),
  };

  checkTransport(config);
  checkCorsOrigins(config.http.corsOrigins);
  checkAlertWebhook(config.alerts, production);
  checkPixWebhookSecret(config.payments.pixWebhookSecret, production);
  if (production) checkProduction(config, diagnosticsAllowed);
  return config;
}

function roleList(values: string[]): Role[] {
  for (const value of values) {
    if (!isRole(value)) {
      throw new ConfigError('CHEFIA_MFA_REQUIRED_ROLES must list roles (admin, manager, ...).');
    }
  }
  return values as Role[];
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function checkTransport(config: AppConfig): void {
  const { tls, host, trustedProxies } = config.http;
  if (!tls.enabled && !isLoopbackHost(host) && trustedProxies.length === 0) {
    throw new ConfigError(
      'CHEFIA_TLS is off on a non-loopback CHEFIA_HOST without CHEFIA_TRUSTED_PROXIES; ' +
        'plain HTTP is served only on loopback or behind a TLS-terminating proxy.',
    );
  }
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) {
    throw new ConfigError('CHEFIA_TLS_CERT_FILE and CHEFIA_TLS_KEY_FILE must be set together.');
  }
  const publicOrigin = config.http.publicOrigin;
  if (publicOrigin !== undefined && !isHttpsOrigin(publicOrigin)) {
    throw new ConfigError('CHEFIA_PUBLIC_ORIGIN must be an https origin.');
  }
}

function isHttpsOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.origin === value;
  } catch {
    return false;
  }
}

/**
 * The PIX webhook secret is optional (without it the webhook refuses every call), but when set it
 * must be long enough that its HMAC cannot be guessed, and in production it must not look copied
 * from an example.
 */
function checkPixWebhookSecret(configured: string | undefined, production: boolean): void {
  if (configured === undefined) return;
  if (configured.length < 32) {
    throw new ConfigError('CHEFIA_PIX_WEBHOOK_SECRET must be at least 32 characters.');
  }
  if (production && PLACEHOLDER_PATTERN.test(configured)) {
    throw new ConfigError('CHEFIA_PIX_WEBHOOK_SECRET looks like a placeholder; generate one.');
  }
}

function checkCorsOrigins(origins: string[]): void {
  for (const origin of origins) {
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new ConfigError('CHEFIA_CORS_ORIGINS must list absolute origins.');
    }
    if (parsed.origin !== origin) {
      throw new ConfigError('CHEFIA_CORS_ORIGINS must list bare origins (scheme, host, port).');
    }
  }
}

/**
 * Alerts leave the server only over HTTPS, signed with a secret long enough not to be guessed;
 * production also refuses the placeholder text a copied example configuration carries.
 */
function checkAlertWebhook(alerts: AppConfig['alerts'], production: boolean): void {
  if (!alerts.webhookUrl) {
    if (alerts.webhookSecret) {
      throw new ConfigError('CHEFIA_ALERT_WEBHOOK_SECRET is set without CHEFIA_ALERT_WEBHOOK_URL.');
    }
    return;
  }

  let url: URL;
  try {
    url = new URL(alerts.webhookUrl);
  } catch {
    throw new ConfigError('CHEFIA_ALERT_WEBHOOK_URL must be an absolute https URL.');
  }
  if (url.protocol !== 'https:') {
    throw new ConfigError('CHEFIA_ALERT_WEBHOOK_URL must use https.');
  }
  if (url.username || url.password) {
    throw new ConfigError('CHEFIA_ALERT_WEBHOOK_URL must not carry credentials.');
  }

  const secret = alerts.webhookSecret?.trim() ?? '';
  if (!secret) {
    throw new ConfigError('CHEFIA_ALERT_WEBHOOK_SECRET is required with CHEFIA_ALERT_WEBHOOK_URL.');
  }
  if (secret.length < 32) {
    throw new ConfigError('CHEFIA_ALERT_WEBHOOK_SECRET must be at least 32 characters.');
  }
  if (production && PLACEHOLDER_PATTERN.test(secret)) {
    throw new ConfigError('CHEFIA_ALERT_WEBHOOK_SECRET looks like a placeholder; generate one.');
  }
}

function checkProduction(config: AppConfig, diagnosticsAllowed: boolean): void {
  if (!config.masterKey.value && !config.masterKey.file) {
    throw new ConfigError(
      'CHEFIA_MASTER_KEY (or CHEFIA_MASTER_KEY_FILE) is required in production.',
    );
  }
  if (config.masterKey.value) checkMasterKeyStrength(config.masterKey.value, 'CHEFIA_MASTER_KEY');

  if (config.http.tls.enabled && !config.http.tls.certFile) {
    throw new ConfigError(
      'CHEFIA_TLS_CERT_FILE and CHEFIA_TLS_KEY_FILE are required in production; ' +
        'self-signed certificates are for development only.',
    );
  }
  if (config.docs.enabled && !diagnosticsAllowed) {
    throw new ConfigError(
      'CHEFIA_DOCS_ENABLED is on in production without CHEFIA_ALLOW_DIAGNOSTICS=true.',
    );
  }
  if (['debug', 'trace'].includes(config.logging.level) && !diagnosticsAllowed) {
    throw new ConfigError(
      'CHEFIA_LOG_LEVEL is debug or trace in production without CHEFIA_ALLOW_DIAGNOSTICS=true.',
    );
  }
}

/**
 * A master key must be 32 random bytes in base64. Placeholder text and low-variety keys are
 * refused outright: they are what a copied example configuration looks like.
 */
export function checkMasterKeyStrength(encoded: string, settingName: string): Buffer {
  const trimmed = encoded.trim();
  if (PLACEHOLDER_PATTERN.test(trimmed)) {
    throw new ConfigError(`${settingName} looks like a placeholder; generate a random key.`);
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    throw new ConfigError(`${settingName} must be base64.`);
  }
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new ConfigError(`${settingName} must decode to exactly 32 bytes.`);
  }
  if (new Set(key).size < 16) {
    throw new ConfigError(`${settingName} is not random enough; generate a random key.`);
  }

  // Base64 of a phrase ("this-is-my-example-key-change-it") passes the checks above; 32 random
  // bytes are all printable ASCII with a probability near 1e-14.
  if (key.every((byte) => byte >= 0x20 && byte <= 0x7e)) {
    throw new ConfigError(`${settingName} encodes text, not random bytes; generate a random key.`);
  }
  return key;
}
