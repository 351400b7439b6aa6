import { Redis } from 'ioredis';

import { ALERT_RISK_THRESHOLD } from '../audit/events.js';
import { AuditRecorder } from '../audit/recorder.js';
import type { AppConfig } from '../config/config.js';
import { systemClock, type Clock } from '../core/clock.js';
import { randomId, type IdGenerator } from '../core/ids.js';
import { openDatabase } from '../infra/db/database.js';
import { migrateToLatest } from '../infra/db/migrate.js';
import { createLogger, type Logger } from '../infra/logging/logger.js';
import { AppMetrics, redisFallbackGauge } from '../infra/metrics/metrics.js';
import { createAlerting, type AlertDeliveryOptions } from '../modules/alerts/alerting.js';
import { createAuthServices } from '../security/authn/auth-services.js';
import type { PasswordHasher } from '../security/passwords/index.js';
import { loadDataKeyRing } from '../security/keys/data-key-ring.js';
import { loadMasterKey } from '../security/keys/master-key.js';
import type { AppContext } from './context.js';

export interface ContextOptions {
  logger?: Logger;
  clock?: Clock;
  ids?: IdGenerator;
  /** Skip migrations (the CLI's `migrate` runs them itself and reports). */
  migrate?: boolean;
  /** Password hashing; tests pass cheaper parameters. */
  passwordHasher?: PasswordHasher;
  /** Alert webhook transport, resolver and poll interval; tests inject them. */
  alertDelivery?: AlertDeliveryOptions;
}

/** Opens the database (migrating it), loads keys and connects to Redis when configured. */
export async function createContext(
  config: AppConfig,
  options: ContextOptions = {},
): Promise<AppContext> {
  const logger = options.logger ?? createLogger(config.logging.level);
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomId;
  const keys = loadMasterKey(config, logger);

  const database = openDatabase({
    dataDir: config.dataDir,
    tls: config.database.tls,
    poolSize: config.database.poolSize,
    ...(config.database.url ? { url: config.database.url } : {}),
    onConnectionError: (error) => {
      logger.warn({ err: error }, 'database connection lost');
    },
  });
  try {
    if (options.migrate !== false) await migrateToLatest(database);
    const keyRing = await loadDataKeyRing(database.kysely, keys.masterKey, clock);
    const metrics = new AppMetrics({
      alertThreshold: ALERT_RISK_THRESHOLD,
      processMetrics: config.mode !== 'test',
    });
    const alerting = createAlerting(
      { config, database, clock, ids, logger, metrics },
      options.alertDelivery,
    );
    const audit = new AuditRecorder({
      database,
      clock,
      ids,
      ipHashKey: keys.ipHashKey,
      chainKey: keys.auditChainKey,
      alerts: alerting.sink,
      observe: (entry) => metrics.observeAuditEntry(entry),
    });
    const redis = config.redis.url ? connectRedis(config.redis.url, logger) : null;
    metrics.registerGauge(redisFallbackGauge(redis));
    const alerts = alerting.dispatcher;
    const base = {
      config,
      logger,
      database,
      clock,
      ids,
      keys,
      keyRing,
      audit,
      redis,
      metrics,
      alerts,
    };
    const context = base as AppContext;
    context.auth = await createAuthServices(context, options.passwordHasher);
    alerts?.start();
    return context;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Releases the connections a context holds. */
export async function closeContext(context: AppContext): Promise<void> {
  context.auth?.revocations.stop();
  await context.alerts?.stop();
  context.redis?.disconnect();
  await context.database.close();
}

function connectRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    // Fail fast instead of queueing: callers fall back to local state when Redis is away.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let reported = false;
  redis.on('error', () => {
    if (!reported) logger.warn('redis connection error; using local state until it returns');
    reported = true;
  });
  redis.on('ready', () => {
    reported = false;
  });
  return redis;
}
