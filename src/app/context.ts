import type { Redis } from 'ioredis';

import type { AuditRecorder } from '../audit/recorder.js';
import type { AppConfig } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { IdGenerator } from '../core/ids.js';
import type { Database } from '../infra/db/database.js';
import type { Logger } from '../infra/logging/logger.js';
import type { AppMetrics } from '../infra/metrics/metrics.js';
import type { AlertDispatcher } from '../modules/alerts/dispatcher.js';
import type { AuthServices } from '../security/authn/auth-services.js';
import type { KeyRing } from '../security/crypto/index.js';
import type { DerivedKeys } from '../security/keys/master-key.js';

/**
 * Everything a feature needs from the outside world, built once at start and passed down.
 * Nothing reads the environment, the clock or the database any other way.
 */
export interface AppContext {
  config: AppConfig;
  logger: Logger;
  database: Database;
  clock: Clock;
  ids: IdGenerator;
  keys: DerivedKeys;
  keyRing: KeyRing;
  audit: AuditRecorder;
  /** Present when REDIS_URL is configured. */
  redis: Redis | null;
  auth: AuthServices;
  /** Prometheus metrics of this process (its own registry). */
  metrics: AppMetrics;
  /** Delivers security alerts to the configured webhook; `null` when none is configured. */
  alerts: AlertDispatcher | null;
}
