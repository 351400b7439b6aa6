import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { scrubString } from '../infra/logging/scrub.js';

/**
 * Incoming ids are kept only when they are short and plain and look like no card number, CPF or
 * token, so they are safe to log and echo.
 */
const WELL_FORMED = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  if (
    typeof incoming === 'string' &&
    WELL_FORMED.test(incoming) &&
    scrubString(incoming) === incoming
  ) {
    return incoming;
  }
  return randomUUID();
}
