import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { scrubString } from '../infra/logging/scrub.js';

/** Short and plain: nothing a log line or a header could be bent by. */
const WELL_FORMED = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

/**
 * The request's id: the client's `X-Request-ID` when it is well formed and holds nothing the
 * log scrubber would mask (a card number, CPF, CNPJ or token), else a new UUID. The id reaches
 * every log line and audit entry of the request as it is, so it is checked here, once. The
 * scrubber's patterns are deliberately wide: now and then a client's UUID whose digit groups
 * happen to read like a card number is replaced too, and the response's `X-Request-ID` says so.
 */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  if (typeof incoming === 'string' && WELL_FORMED.test(incoming)) {
    if (scrubString(incoming) === incoming) return incoming;
  }
  return randomUUID();
}
