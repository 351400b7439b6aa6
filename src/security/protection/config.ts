import { ConfigError, type SettingReader } from '../../config/load.js';
import type { SettingName } from '../../config/settings.js';
import type { IntrusionSettings } from '../intrusion/responder.js';
import { parseRateLimit, type RateLimit, type RateLimits } from '../rate-limit/limits.js';

/** Rate limits and intrusion response, as configured (SPEC 5.4). */
export interface ProtectionConfig extends IntrusionSettings {
  rateLimits: RateLimits;
}

/** Reads the protection settings; a malformed limit stops the start naming the setting. */
export function readProtectionConfig(settings: SettingReader): ProtectionConfig {
  return {
    rateLimits: {
      default: rateLimit(settings, 'CHEFIA_RATE_LIMIT_DEFAULT'),
      auth: rateLimit(settings, 'CHEFIA_RATE_LIMIT_AUTH'),
      payment: rateLimit(settings, 'CHEFIA_RATE_LIMIT_PAYMENT'),
      report: rateLimit(settings, 'CHEFIA_RATE_LIMIT_REPORT'),
    },
    threatThreshold: settings.requiredInteger('CHEFIA_THREAT_BLOCK_THRESHOLD'),
    windowMinutes: settings.requiredInteger('CHEFIA_THREAT_WINDOW_MINUTES'),
    blockMinutes: settings.requiredInteger('CHEFIA_IP_BLOCK_MINUTES'),
    bruteForceFailures: settings.requiredInteger('CHEFIA_BRUTE_FORCE_FAILURES'),
    bruteForceAccounts: settings.requiredInteger('CHEFIA_BRUTE_FORCE_ACCOUNTS'),
  };
}

function rateLimit(settings: SettingReader, name: SettingName): RateLimit {
  const limit = parseRateLimit(settings.requiredString(name));
  if (!limit) {
    throw new ConfigError(
      `${name} must be requests/seconds, such as 100/60 (1 to 1000000000 requests, 1 to 86400 s).`,
    );
  }
  return limit;
}
