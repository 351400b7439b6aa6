import type { FastifyInstance } from 'fastify';

import {
  createAccessLogger,
  serializeReply,
  serializeRequest,
  type Logger,
} from '../infra/logging/logger.js';

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
        req: serializeRequest(request),
        res: serializeReply(reply),
        responseTimeMs: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
    done();
  });
}
