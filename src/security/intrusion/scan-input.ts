import type { FastifyRequest } from 'fastify';

import type { ScannedRequest } from './detector.js';

/**
 * Fields whose value is a credential. They are not scanned: a password is arbitrary text by
 * design (`a/../b' OR x` is a fine password), and refusing one would lock its owner out with an
 * error that hints at what the password contains.
 */
const CREDENTIAL_KEY = /password|secret|token|totp|recoverycode/i;

const MAX_DEPTH = 16;

/** The parts of a request the detector reads: raw path, parsed query, parsed body. */
export function scannedPartsOf(request: FastifyRequest): ScannedRequest {
  const queryAt = request.url.indexOf('?');
  return {
    path: queryAt === -1 ? request.url : request.url.slice(0, queryAt),
    query: request.query,
    body: withoutCredentials(request.body, 0),
  };
}

/** A copy of `value` without credential fields; values that hold none are returned as they are. */
export function withoutCredentials(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;

  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    value.forEach((item: unknown, index) => {
      const kept = withoutCredentials(item, depth + 1);
      if (kept !== item) copy ??= [...(value as unknown[])];
      if (copy) copy[index] = kept;
    });
    return copy ?? value;
  }

  let copy: Record<string, unknown> | null = null;
  for (const [key, item] of Object.entries(value)) {
    const kept = CREDENTIAL_KEY.test(key) ? undefined : withoutCredentials(item, depth + 1);
    if (kept === item) continue;
    copy ??= { ...(value as Record<string, unknown>) };
    if (kept === undefined) delete copy[key];
    else copy[key] = kept;
  }
  return copy ?? value;
}
