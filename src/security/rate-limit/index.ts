export { assignClientRateClass, clientAddress, clientKeyOf, rateClassOf } from './client.js';
export {
  DEFAULT_RATE_LIMITS,
  RATE_CLASSES,
  isRateClass,
  parseRateLimit,
  type RateClass,
  type RateLimit,
  type RateLimits,
} from './limits.js';
export { RateLimiter } from './limiter.js';
export { rateLimitState, type RateLimitState } from './state.js';
export {
  FallbackWindowCounter,
  MemoryWindowCounter,
  RedisWindowCounter,
  type WindowCount,
  type WindowCounter,
} from './window-counter.js';
