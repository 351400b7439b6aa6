import { validationError } from '../../core/errors.js';

/**
 * Lists of audit entries and alerts page by their chain sequence number, newest first. The cursor
 * wraps the last sequence number seen so clients treat it as opaque and do not start doing
 * arithmetic on it.
 */
export function encodeSeqCursor(seq: number): string {
  return Buffer.from(JSON.stringify({ s: seq })).toString('base64url');
}

/** The sequence number a cursor stands for; a cursor that was not made here is a 400. */
export function decodeSeqCursor(cursor: string): number {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const seq = (decoded as { s?: unknown } | null)?.s;
    if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0) return seq;
  } catch {
    // Falls through to the validation error below.
  }
  throw validationError([{ path: 'querystring/cursor', message: 'is not a valid cursor' }]);
}
