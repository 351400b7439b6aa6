import { Secret, TOTP } from 'otpauth';

import type { Clock } from '../../core/clock.js';

const PERIOD_SECONDS = 30;
const DIGITS = 6;

/** A new random TOTP secret (160 bits, RFC 4226's recommended size) in base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://` URI an authenticator app scans. */
export function totpUri(secretBase32: string, issuer: string, account: string): string {
  return new TOTP({
    issuer,
    label: account,
    secret: Secret.fromBase32(secretBase32),
    digits: DIGITS,
    period: PERIOD_SECONDS,
  }).toString();
}

/**
 * Checks a code against the secret, allowing one step of clock drift each way, and returns the
 * time step it matched, or null. The caller refuses a step not newer than the last one used,
 * which is what makes each code single-use (RFC 6238 §5.2).
 */
export function matchTotp(secretBase32: string, code: string, clock: Clock): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const timestamp = clock.now().getTime();
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(secretBase32),
    digits: DIGITS,
    period: PERIOD_SECONDS,
    timestamp,
    window: 1,
  });
  if (delta === null) return null;
  return TOTP.counter({ period: PERIOD_SECONDS, timestamp }) + delta;
}

/** The current code, for tests and tooling that play the authenticator app. */
export function currentTotp(secretBase32: string, timestamp: number): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secretBase32),
    digits: DIGITS,
    period: PERIOD_SECONDS,
    timestamp,
  });
}
