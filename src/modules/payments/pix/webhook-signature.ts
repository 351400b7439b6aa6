import { createHmac, timingSafeEqual } from 'node:crypto';

import { AppError } from '../../../core/errors.js';

/*
 * PIX webhook authentication: the provider signs `${timestamp}.${rawBody}` with HMAC-SHA-256
 * under a shared secret and sends the Unix timestamp and the hex signature in headers. Putting
 * the timestamp under the MAC and refusing old ones bounds how long a captured request can be
 * replayed; the handler's idempotency covers replays inside the window.
 */

export type PixWebhookVerdict = 'ok' | 'bad_signature' | 'stale' | 'malformed';

/** A header as Node hands it over: absent, once, or repeated. */
type HeaderValue = string | string[] | undefined;

export interface PixWebhookCheck {
  secret: string;
  timestampHeader: HeaderValue;
  signatureHeader: HeaderValue;
  /** The body exactly as received, before any JSON parsing. */
  rawBody: string | Buffer;
  now: Date;
  toleranceSeconds?: number;
}

const DEFAULT_TOLERANCE_SECONDS = 300;
/** Unix seconds without leading zeros, so one timestamp has exactly one signed spelling. */
const TIMESTAMP_PATTERN = /^(?:0|[1-9]\d{0,11})$/;
const SIGNATURE_PATTERN = /^[0-9a-fA-F]{64}$/;

/** Hex HMAC-SHA-256 of `${timestamp}.${rawBody}`, as the provider computes it. */
export function signPixWebhook(
  secret: string,
  timestamp: number,
  rawBody: string | Buffer,
): string {
  if (secret.length === 0) {
    // An empty key would make every signature forgeable: a configuration error, not a request's.
    throw new AppError('POS_ERR_INTERNAL');
  }

  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/**
 * Checks a webhook's signature, then its age. The signature is checked first so that `stale`
 * is only ever said of a request the provider really signed. Comparison is constant-time.
 */
export function verifyPixWebhook(check: PixWebhookCheck): PixWebhookVerdict {
  const { timestampHeader, signatureHeader } = check;
  const toleranceSeconds = check.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;

  if (typeof timestampHeader !== 'string' || !TIMESTAMP_PATTERN.test(timestampHeader)) {
    return 'malformed';
  }

  if (typeof signatureHeader !== 'string' || !SIGNATURE_PATTERN.test(signatureHeader)) {
    return 'malformed';
  }

  const timestamp = Number(timestampHeader);
  const expected = Buffer.from(signPixWebhook(check.secret, timestamp, check.rawBody), 'hex');
  const received = Buffer.from(signatureHeader, 'hex');
  if (!timingSafeEqual(expected, received)) {
    return 'bad_signature';
  }

  const ageMilliseconds = Math.abs(check.now.getTime() - timestamp * 1000);
  if (ageMilliseconds > toleranceSeconds * 1000) {
    return 'stale';
  }

  return 'ok';
}
