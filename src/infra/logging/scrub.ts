/**
 * Last line of defence for logs: whatever object reaches the logger is walked and every value
 * under a sensitive key is replaced, and strings that look like card numbers or CPFs are masked.
 * Request and error serializers already allow-list what they emit; this catches the rest.
 */
export const REDACTED = '[REDACTED]';

const SENSITIVE_KEY =
  /authorization|credential|cookie|password|passwd|secret|token|api.?key|cvv|cvc|cid|pin|pan|card.?number|track|totp|otp|recovery.?code|cpf|cnpj|email|phone|address|birth|master.?key|signature/i;

/** Keys that match the pattern above but carry no secret. */
const SAFE_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'requestId']);

// Runs of 13–19 digits (optionally separated by spaces or dashes) look like a PAN; CPF and CNPJ
// have fixed punctuated or bare shapes.
// Linear: every repetition must consume a digit, so there is nothing to backtrack into.
// eslint-disable-next-line security/detect-unsafe-regex
const PAN_LIKE = /\b(?:\d[ -]?){12,18}\d\b/g;
const CPF_LIKE = /\b\d{3}\.?\d{3}\.?\d{3}-?\d{2}\b/g;
const CNPJ_LIKE = /\b\d{2}\.?\d{3}\.?\d{3}\/?\d{4}-?\d{2}\b/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const JWT_LIKE = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const API_KEY_LIKE = /\bsk_[A-Za-z0-9_-]{16,}/g;

const MAX_DEPTH = 8;

export function scrubString(value: string): string {
  return value
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(JWT_LIKE, REDACTED)
    .replace(API_KEY_LIKE, REDACTED)
    .replace(CNPJ_LIKE, REDACTED)
    .replace(CPF_LIKE, REDACTED)
    .replace(PAN_LIKE, REDACTED);
}

export function isSensitiveKey(key: string): boolean {
  return !SAFE_KEYS.has(key) && SENSITIVE_KEY.test(key);
}

/** Returns a copy of `value` safe to log. */
export function scrubLogValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (Array.isArray(value)) return value.map((item) => scrubLogValue(item, depth + 1));
  if (value instanceof Error) return value;

  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    copy[key] = isSensitiveKey(key) ? REDACTED : scrubLogValue(inner, depth + 1);
  }
  return copy;
}
