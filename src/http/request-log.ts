import type { FastifyInstance } from 'fastify';

/**
 * One line per answered request, written when the response has gone out. What it holds is fixed
 * by the logger's allow-listing serializers: method, route, scrubbed path, request id, status
 * and response time, never headers, query strings or bodies.
 */
export function installRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { req: request, res: reply, responseTimeMs: Math.round(reply.elapsedTime) },
      'request completed',
    );
  });
}
