import type { FastifyReply, FastifyRequest } from 'fastify';
import pino, { type DestinationStream, type Logger } from 'pino';

import type { LogLevel } from '../../config/config.js';
import { AppError } from '../../core/errors.js';
import { REDACTED, isSensitiveKey, scrubLogValue, scrubString } from './scrub.js';

export type { Logger } from 'pino';

/**
 * Paths pino removes before anything else sees the line: a second net under the allow-listing
 * serializers, in case a caller logs a raw request or body.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'body',
  'req.body',
  'password',
  '*.password',
  'token',
  '*.token',
];

/** Only these request fields are ever logged; headers, query strings and bodies never are. */
export function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    route: request.routeOptions.url ?? 'unmatched',
    path: scrubString(request.url.split('?')[0] ?? ''),
    requestId: request.id,
  };
}

export function serializeReply(reply: FastifyReply): Record<string, unknown> {
  return { statusCode: reply.statusCode };
}

/**
 * Errors are logged by kind, code and stack frames only. Messages are left out of unknown errors
 * because many carry input: JSON parse errors quote the body, database errors quote values.
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (error instanceof AppError) {
    return { type: error.name, code: error.code, message: error.message };
  }
  if (error instanceof Error) {
    // Only `at …` frames: the lines before them repeat the message, which can span several lines.
    const frames = (error.stack ?? '')
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .slice(0, 10)
      .join('\n');
    const code = (error as { code?: unknown }).code;
    return {
      type: error.name,
      ...(typeof code === 'string' ? { code } : {}),
      stack: scrubString(frames),
    };
  }
  return { type: typeof error };
}

/**
 * Keys whose values go through the allow-listing serializers above. Pino runs this formatter
 * before the serializers, and a scrubbed copy of a Fastify request or reply would lose the
 * getters (`method`, `routeOptions`, `statusCode`) the serializers read.
 */
const SERIALIZED_KEYS = new Set(['req', 'res', 'err']);

function scrubLogObject(object: Record<string, unknown>): Record<string, unknown> {
  const scrubbed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (SERIALIZED_KEYS.has(key)) scrubbed[key] = value;
    else scrubbed[key] = isSensitiveKey(key) ? REDACTED : scrubLogValue(value, 1);
  }
  return scrubbed;
}

const BASE = { service: 'chefia-pos' };

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: BASE,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      serializers: { req: serializeRequest, res: serializeReply, err: serializeError },
      formatters: {
        log: scrubLogObject,
      },
      hooks: {
        // Messages are fixed strings by convention; scrubbing them too guards the exception.
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubString(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    // Asynchronous, buffered writes keep logging off the request's critical path; `flush()` runs
    // at shutdown, and at most one buffer of lines can be lost if the process is killed.
    destination ?? pino.destination({ dest: 1, minLength: 4096, sync: false }),
  );
}

/**
 * A logger for the one line written per request, on `logger`'s destination and at its level.
 * It has none of the general logger's redaction, scrubbing or serializers, which take about two
 * thirds of a line's cost: its lines are built by `installRequestLog` from allow-listed values
 * only (method, route pattern, scrubbed path, request id, status, duration), so there is nothing
 * for them to catch. Nothing else may log through it.
 */
export function createAccessLogger(logger: Logger): Logger {
  const destination = (logger as unknown as Record<symbol, DestinationStream>)[
    pino.symbols.streamSym
  ];
  return pino(
    { level: logger.level, base: BASE, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
}
