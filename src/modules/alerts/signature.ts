import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-chefia-signature';

/** How far a receiver should let the signed time drift from its clock. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

function hmacHex(secret: string, unixSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
}

/**
 * The `X-Chefia-Signature` value for a delivery: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">`. Signing the time with the body lets a receiver refuse a replayed delivery.
 */
export function signAlert(secret: string, body: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

/**
 * What a receiver does with the header: recompute the HMAC, compare in constant time and refuse
 * a signature older (or newer) than the tolerance. Shipped for receivers written in Node and
 * used by the tests as the specification of the format.
 */
export function verifyAlertSignature(
  secret: string,
  body: string,
  header: string,
  now: Date,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header);
  if (!match?.[1] || !match[2]) return false;

  const t = Number(match[1]);
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return false;

  const expected = Buffer.from(hmacHex(secret, t, body), 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}
