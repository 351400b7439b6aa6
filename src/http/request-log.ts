import type { FastifyInstance } from 'fastify';

import { createAccessLogger, type Logger } from '../infra/logging/logger.js';
import { scrubString } from '../infra/logging/scrub.js';

/** Requests that matched no route share one route label, so the line never holds a raw URL. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * One line per answered request, written when the response has gone out: method, route pattern,
 * scrubbed path, request id, status and response time, never headers, query strings or bodies.
 * The line is built here from those values alone, so it goes through the lean access logger.
 */
export function installRequestLog(app: FastifyInstance, logger: Logger): void {
  const access = createAccessLogger(logger);
  app.addHook('onResponse', (request, reply, done) => {
    access.info(
      {
        requestId: request.id,
        req: {
          method: request.method,
          route: request.routeOptions.url ?? UNMATCHED_ROUTE,
          path: scrubString(pathOf(request.url)),
          requestId: request.id,
        },
        res: { statusCode: reply.statusCode },
        responseTimeMs: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
    done();
  });
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
