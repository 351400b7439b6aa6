/**
 * Process-wide rate-limiting figures for the metrics endpoint. They are counters of the process,
 * like a Prometheus default registry, so every limiter in it reports into the same place.
 */
export interface RateLimitState {
  /** True while at least one limiter counts locally because Redis is unreachable. */
  redisFallback: boolean;
  /** Times a limiter lost Redis and fell back to local counters. */
  fallbackEvents: number;
  /** Requests answered 429. */
  limited: number;
}

const counters = { fallbackEvents: 0, limited: 0 };
const limitersInFallback = new Set<object>();

/** A snapshot of the figures; cheap enough to call on every scrape. */
export function rateLimitState(): RateLimitState {
  return {
    redisFallback: limitersInFallback.size > 0,
    fallbackEvents: counters.fallbackEvents,
    limited: counters.limited,
  };
}

export function countLimited(): void {
  counters.limited += 1;
}

export function markFallback(limiter: object, active: boolean): void {
  if (active) {
    if (!limitersInFallback.has(limiter)) counters.fallbackEvents += 1;
    limitersInFallback.add(limiter);
  } else {
    limitersInFallback.delete(limiter);
  }
}
