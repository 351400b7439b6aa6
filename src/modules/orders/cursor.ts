import { AppError } from '../../core/errors.js';

/** A position in a list ordered by creation time: the last row of the previous page. */
export interface TimeCursor {
  createdAt: string;
  id: string;
}

/** An opaque cursor: clients pass it back unchanged and must not build one. */
export function encodeCursor(cursor: TimeCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id]), 'utf8').toString('base64url');
}

/** A cursor the client altered is a validation error naming the parameter, not a server error. */
export function decodeCursor(cursor: string): TimeCursor {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === 'string' &&
    typeof parsed[1] === 'string'
  ) {
    return { createdAt: parsed[0], id: parsed[1] };
  }
  throw new AppError('POS_ERR_VALIDATION', {
    fields: [{ path: 'querystring/cursor', message: 'is not a valid cursor' }],
  });
}
