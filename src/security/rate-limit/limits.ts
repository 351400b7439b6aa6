import type { RateClass } from '../../http/route-access.js';

export type { RateClass } from '../../http/route-access.js';

export const RATE_CLASSES = [
  'default',
  'auth',
  'payment',
  'report',
] as const satisfies readonly RateClass[];

/** How many requests one client may make in one fixed window. */
export interface RateLimit {
  max: number;
  windowSeconds: number;
}

export type RateLimits = Readonly<Record<RateClass, RateLimit>>;

/** SPEC 5.4's figures, which the settings override. */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  default: { max: 100, windowSeconds: 60 },
  auth: { max: 5, windowSeconds: 300 },
  payment: { max: 10, windowSeconds: 60 },
  report: { max: 5, windowSeconds: 60 },
};

const MAX_REQUESTS = 1_000_000_000;
const MAX_WINDOW_SECONDS = 86_400;

/**
 * Reads a limit written as `N/SECONDS` (`100/60`). Returns null for anything else, including
 * zero requests or a window longer than a day, so a typo cannot silently disable a class.
 */
export function parseRateLimit(text: string): RateLimit | null {
  const match = /^\s*(\d{1,10})\s*\/\s*(\d{1,6})\s*$/.exec(text);
  if (!match?.[1] || !match[2]) return null;

  const max = Number(match[1]);
  const windowSeconds = Number(match[2]);
  if (max < 1 || max > MAX_REQUESTS) return null;
  if (windowSeconds < 1 || windowSeconds > MAX_WINDOW_SECONDS) return null;
  return { max, windowSeconds };
}

export function isRateClass(value: unknown): value is RateClass {
  return typeof value === 'string' && (RATE_CLASSES as readonly string[]).includes(value);
}
