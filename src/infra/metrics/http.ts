import type { FastifyInstance } from 'fastify';

import type { AppMetrics } from './metrics.js';

/** Our error bodies start with `statusCode` then `code`; one regex reads it without parsing. */
const ERROR_CODE = /"code":"(POS_ERR_[A-Z_]+)"/;

/** Requests that matched no route share one label, so scanners cannot inflate cardinality. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * Counts every response (by route pattern, never the raw URL, so ids do not become labels) and
 * its latency, and every error response by its code. Rate-limited and blocked requests are
 * recognised by their codes, whichever hook or plugin refused them.
 */
export function installMetrics(app: FastifyInstance, metrics: AppMetrics): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode >= 400 && typeof payload === 'string') {
      const code = ERROR_CODE.exec(payload.slice(0, 200))?.[1];
      if (code) metrics.observeRejection(code);
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const labels = { method: request.method, route };
    metrics.httpRequests.inc({ ...labels, status: String(reply.statusCode) });
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });

  app.get(
    '/metrics',
    {
      // Deployment-wide operational data: for the operator (`system.config`), never a cashier.
      config: { access: { permission: 'system.config' } },
      schema: { hide: true },
    },
    async (_request, reply) => {
      const { contentType, body } = await metrics.exposition();
      return reply.type(contentType).send(body);
    },
  );
}
