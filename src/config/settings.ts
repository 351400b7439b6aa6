/**
 * Every setting Chefia POS reads, in one table: its environment variable, its type, its default
 * and what it protects. The README's configuration reference is checked against this list by a
 * test, so the two cannot drift apart.
 */
export type SettingType = 'string' | 'integer' | 'boolean' | 'list' | 'enum' | 'duration';

export interface SettingDefinition {
  /** Environment variable (and key in the optional JSON configuration file). */
  env: string;
  type: SettingType;
  /** Default as the operator would write it; `undefined` means unset. */
  default?: string;
  /** Allowed values for `enum` settings. */
  values?: readonly string[];
  min?: number;
  max?: number;
  /** Holds a secret: never logged, never echoed in an error. */
  secret?: boolean;
  description: string;
}

const define = <const T extends readonly SettingDefinition[]>(settings: T): T => settings;

export const SETTINGS = define([
  {
    env: 'NODE_ENV',
    type: 'enum',
    values: ['development', 'production', 'test'],
    default: 'development',
    description:
      'Run mode. `production` refuses weak or missing secrets, self-signed certificates, API ' +
      'docs and debug logging unless explicitly allowed.',
  },
  {
    env: 'CHEFIA_DATA_DIR',
    type: 'string',
    default: './data',
    description:
      'Directory for the embedded database, generated development keys and certificate, and ' +
      'uploaded images. Created with mode 0700.',
  },
  {
    env: 'CHEFIA_HOST',
    type: 'string',
    default: '127.0.0.1',
    description: 'Address the HTTPS listener binds to.',
  },
  {
    env: 'CHEFIA_PORT',
    type: 'integer',
    default: '8001',
    min: 0,
    max: 65535,
    description: 'Port of the HTTPS listener (0 picks a free port).',
  },
  {
    env: 'CHEFIA_TLS',
    type: 'boolean',
    default: 'true',
    description:
      'Serve HTTPS. Plain HTTP is allowed only on a loopback address or behind a configured ' +
      'trusted proxy that terminates TLS.',
  },
  {
    env: 'CHEFIA_TLS_CERT_FILE',
    type: 'string',
    description:
      'PEM certificate chain. Without it a development start generates a self-signed ' +
      'certificate in the data directory; production requires it.',
  },
  {
    env: 'CHEFIA_TLS_KEY_FILE',
    type: 'string',
    description: 'PEM private key for the certificate.',
  },
  {
    env: 'CHEFIA_HTTP_REDIRECT_PORT',
    type: 'integer',
    min: 1,
    max: 65535,
    description:
      'Optional plain-HTTP listener that only answers 308 redirects to HTTPS (never serves the ' +
      'API).',
  },
  {
    env: 'CHEFIA_PUBLIC_ORIGIN',
    type: 'string',
    description:
      'External https origin used in redirects (for example `https://pos.example.com.br`). ' +
      'Defaults to the listener address.',
  },
  {
    env: 'CHEFIA_TRUSTED_PROXIES',
    type: 'list',
    default: '',
    description:
      'Comma-separated addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` is ' +
      'believed. From anyone else the header is ignored and the socket address is the client.',
  },
  {
    env: 'CHEFIA_CORS_ORIGINS',
    type: 'list',
    default: 'https://pos.chefia.com.br,https://kds.chefia.com.br,https://admin.chefia.com.br',
    description: 'Origins allowed to call the API from a browser, with credentials.',
  },
  {
    env: 'CHEFIA_BODY_LIMIT_BYTES',
    type: 'integer',
    default: '1048576',
    min: 1024,
    max: 52428800,
    description: 'Largest JSON request body accepted; larger bodies answer 413.',
  },
  {
    env: 'CHEFIA_MASTER_KEY',
    type: 'string',
    secret: true,
    description:
      'Base64 of 32 random bytes. Wraps the data-encryption and token-signing keys and keys the ' +
      'blind indexes. Required in production (or CHEFIA_MASTER_KEY_FILE).',
  },
  {
    env: 'CHEFIA_MASTER_KEY_FILE',
    type: 'string',
    description:
      'File holding the master key (base64). A development start creates ' +
      '`<data dir>/master.key` with mode 0600 when no key is configured.',
  },
  {
    env: 'DATABASE_URL',
    type: 'string',
    secret: true,
    description:
      'PostgreSQL connection URL. When unset, the embedded SQLite database in the data ' +
      'directory is used.',
  },
  {
    env: 'CHEFIA_DATABASE_TLS',
    type: 'enum',
    values: ['off', 'require', 'verify'],
    default: 'off',
    description:
      'TLS to PostgreSQL: `require` encrypts, `verify` also checks the server certificate.',
  },
  {
    env: 'CHEFIA_DATABASE_POOL_SIZE',
    type: 'integer',
    default: '10',
    min: 1,
    max: 200,
    description: 'PostgreSQL connection pool size per process.',
  },
  {
    env: 'REDIS_URL',
    type: 'string',
    secret: true,
    description:
      'Redis URL for state shared between processes (rate-limit counters, revocations, IP ' +
      'blocks, kitchen fan-out). Use `rediss://` for TLS. Unset: in-process state.',
  },
  {
    env: 'CHEFIA_LOG_LEVEL',
    type: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    description: 'Log level. `debug` and `trace` need CHEFIA_ALLOW_DIAGNOSTICS in production.',
  },
  {
    env: 'CHEFIA_DOCS_ENABLED',
    type: 'boolean',
    description:
      'Serve the OpenAPI document and UI at `/docs`. Default: on in development, off in ' +
      'production (where it also needs CHEFIA_ALLOW_DIAGNOSTICS).',
  },
  {
    env: 'CHEFIA_ALLOW_DIAGNOSTICS',
    type: 'boolean',
    default: 'false',
    description:
      'Explicit opt-in that lets a production server run with API docs or debug logging on.',
  },
  {
    env: 'CHEFIA_ACCESS_TOKEN_TTL_SECONDS',
    type: 'integer',
    default: '900',
    min: 60,
    max: 3600,
    description: 'Lifetime of an access token (15 minutes by default, SPEC 5.2).',
  },
  {
    env: 'CHEFIA_REFRESH_TOKEN_TTL_HOURS',
    type: 'integer',
    default: '168',
    min: 1,
    max: 720,
    description:
      'Absolute lifetime of a sign-in and its rotating refresh tokens (7 days by default).',
  },
  {
    env: 'CHEFIA_LOCKOUT_THRESHOLD',
    type: 'integer',
    default: '10',
    min: 3,
    max: 10,
    description: 'Consecutive failed logins that lock an account (PCI DSS 8.3.4: at most 10).',
  },
  {
    env: 'CHEFIA_LOCKOUT_MINUTES',
    type: 'integer',
    default: '30',
    min: 30,
    max: 1440,
    description: 'How long a locked account stays locked unless an admin unlocks it.',
  },
  {
    env: 'CHEFIA_MFA_REQUIRED_ROLES',
    type: 'list',
    default: 'admin,manager',
    description:
      'Roles that must enrol TOTP before using the API; their login without it only allows ' +
      'enrolment.',
  },
  {
    env: 'CHEFIA_PASSWORD_COMPOSITION',
    type: 'boolean',
    default: 'false',
    description:
      'Also require upper case, lower case, digit and symbol, and at most 3 repeated ' +
      "characters (the original guideline's rules) on top of length and strength.",
  },
  {
    env: 'CHEFIA_SETUP_SECRET_TTL_MINUTES',
    type: 'integer',
    default: '60',
    min: 5,
    max: 1440,
    description: 'Validity of the one-time setup secret printed at first start.',
  },
  {
    env: 'CHEFIA_APPROVAL_TTL_SECONDS',
    type: 'integer',
    default: '120',
    min: 30,
    max: 600,
    description: 'Validity of a single-use manager approval.',
  },
  {
    env: 'CHEFIA_RATE_LIMIT_DEFAULT',
    type: 'string',
    default: '100/60',
    description:
      'Requests per window (`N/SECONDS`) one client may make to ordinary routes; beyond it ' +
      '429 with `Retry-After`. A client is its API key, else its user, else its address.',
  },
  {
    env: 'CHEFIA_RATE_LIMIT_AUTH',
    type: 'string',
    default: '5/300',
    description:
      'Login, refresh, setup, password, MFA and manager-approval attempts per client address ' +
      '(`N/SECONDS`), which slows password guessing. Raise it when many terminals share one ' +
      'public address.',
  },
  {
    env: 'CHEFIA_RATE_LIMIT_PAYMENT',
    type: 'string',
    default: '10/60',
    description: 'Payment and refund requests per client (`N/SECONDS`).',
  },
  {
    env: 'CHEFIA_RATE_LIMIT_REPORT',
    type: 'string',
    default: '5/60',
    description:
      'Report requests per client (`N/SECONDS`), which keeps heavy queries from starving ' +
      'the order path.',
  },
  {
    env: 'CHEFIA_THREAT_BLOCK_THRESHOLD',
    type: 'integer',
    default: '3',
    min: 1,
    max: 100,
    description:
      'Injection, XSS or path-traversal probes from one address within ' +
      'CHEFIA_THREAT_WINDOW_MINUTES that get it blocked. Every probe is refused and audited.',
  },
  {
    env: 'CHEFIA_THREAT_WINDOW_MINUTES',
    type: 'integer',
    default: '10',
    min: 1,
    max: 1440,
    description:
      'Window over which probes and failed sign-ins of one address are counted; older ones ' +
      'no longer count.',
  },
  {
    env: 'CHEFIA_IP_BLOCK_MINUTES',
    type: 'integer',
    default: '15',
    min: 1,
    max: 10080,
    description:
      'How long an automatically blocked address is refused (403), and the default for a ' +
      'manual block.',
  },
  // With the default auth limit (5/300) a sweep gets its 5 guesses through and is blocked at its
  // 15th refused attempt: a source that tried five accounts and then ignores 429s is sweeping.
  {
    env: 'CHEFIA_BRUTE_FORCE_FAILURES',
    type: 'integer',
    default: '20',
    min: 3,
    max: 1000,
    description:
      'Failed logins, manager approvals or API keys from one address within the window that ' +
      'block it, when they name at least CHEFIA_BRUTE_FORCE_ACCOUNTS accounts. Sign-ins the ' +
      'auth rate limit refuses (429) count too: at its default too few reach the password check.',
  },
  {
    env: 'CHEFIA_BRUTE_FORCE_ACCOUNTS',
    type: 'integer',
    default: '5',
    min: 1,
    max: 100,
    description:
      'Distinct accounts an address must fail on to be blocked as a credential sweep; failures ' +
      'on one account are left to its lockout.',
  },
  {
    env: 'CHEFIA_DISCOUNT_APPROVAL_PERCENT',
    type: 'integer',
    default: '10',
    min: 0,
    max: 100,
    description:
      'Largest discount, as a percent of the order subtotal, that staff without ' +
      '`order.cancel` may give alone; above it a manager approval is required.',
  },
  {
    env: 'CHEFIA_CASH_WITHDRAWAL_APPROVAL_CENTS',
    type: 'integer',
    default: '20000',
    min: 0,
    max: 100000000,
    description:
      'Largest cash withdrawal (in cents) a drawer operator who is not a manager may take ' +
      'alone; above it a manager approval is required.',
  },
  {
    env: 'CHEFIA_PIX_WEBHOOK_SECRET',
    type: 'string',
    secret: true,
    description:
      'Shared HMAC secret (at least 32 characters) that authenticates PIX provider webhooks. ' +
      'Unset: `POST /api/v1/webhooks/pix` refuses every call and PIX charges are confirmed by ' +
      'the cashier instead.',
  },
  {
    env: 'CHEFIA_UPLOAD_MAX_IMAGE_BYTES',
    type: 'integer',
    default: '10485760',
    min: 1024,
    max: 52428800,
    description:
      'Largest product image upload, in bytes (10 MB by default); the upload stream is cut ' +
      'and answered 413 at this size, before anything is decoded.',
  },
  {
    env: 'CHEFIA_UPLOAD_MAX_IMAGE_PIXELS',
    type: 'integer',
    default: '25000000',
    min: 1,
    max: 100000000,
    description:
      'Largest width x height of a product image. Bigger images are refused before decoding, ' +
      'which protects memory from decompression bombs.',
  },
  {
    env: 'CHEFIA_DATA_KEY_RELOAD_SECONDS',
    type: 'integer',
    default: '30',
    min: 5,
    max: 3600,
    description:
      'How often a running server re-reads the data-encryption key ring, so a key added by ' +
      '`chefia keys rotate-data-key` encrypts new writes everywhere. The rotation waits twice ' +
      'this long before re-encrypting.',
  },
  {
    env: 'CHEFIA_ALERT_WEBHOOK_URL',
    type: 'string',
    description:
      'HTTPS endpoint that receives security alerts (audit events with risk above 7), signed ' +
      'with CHEFIA_ALERT_WEBHOOK_SECRET. Loopback, private, link-local, metadata, multicast and ' +
      'unspecified addresses are refused, after resolving the host name. Unset: alerts are only ' +
      'stored.',
  },
  {
    env: 'CHEFIA_ALERT_WEBHOOK_SECRET',
    type: 'string',
    secret: true,
    description:
      'Shared secret (at least 32 characters) for the `X-Chefia-Signature` HMAC on alert ' +
      'deliveries, so the receiver can reject forged alerts. Required with the webhook URL; ' +
      'placeholder text is refused in production.',
  },
  {
    env: 'CHEFIA_ALERT_WEBHOOK_ALLOW_PRIVATE',
    type: 'boolean',
    default: 'false',
    description:
      'Explicit opt-in to deliver alerts to a loopback, private or link-local address (an ' +
      'on-premises receiver). Cloud metadata, multicast and unspecified addresses stay refused.',
  },
  {
    env: 'CHEFIA_METRICS_PORT',
    type: 'integer',
    min: 1,
    max: 65535,
    description:
      'Optional second listener serving only `GET /metrics` without a token, bound to ' +
      '127.0.0.1, for a local Prometheus scraper. Unset: metrics are served only at ' +
      '`/metrics` on the API port to a principal holding `system.config`.',
  },
] as const);

export type SettingName = (typeof SETTINGS)[number]['env'];
