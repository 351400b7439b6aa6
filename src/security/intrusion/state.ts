/** Process-wide intrusion figures for the metrics endpoint (see `rateLimitState`). */
export interface IntrusionState {
  /** Requests refused as injection, XSS or traversal probes. */
  threatsDetected: number;
  /** Requests refused because their address was blocked. */
  blockedRequests: number;
  /** Addresses blocked automatically (probes or a credential sweep) by this process. */
  automaticBlocks: number;
}

const counters: IntrusionState = { threatsDetected: 0, blockedRequests: 0, automaticBlocks: 0 };

/** A snapshot of the figures. */
export function intrusionState(): IntrusionState {
  return { ...counters };
}

export function countIntrusion(event: keyof IntrusionState): void {
  counters[event] += 1;
}
