import { createServer, type Server } from 'node:http';

import type { AppMetrics } from './metrics.js';

/** The only address the unauthenticated metrics listener may bind to. */
export const METRICS_HOST = '127.0.0.1';

/**
 * A second, plain-HTTP listener for a Prometheus scraper on the same host. It answers nothing but
 * `GET /metrics` and binds to loopback only, so the metrics are reachable without a token only
 * from the machine itself.
 */
export async function startMetricsListener(metrics: AppMetrics, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-length': '0' }).end();
      return;
    }
    metrics.exposition().then(
      ({ contentType, body }) => {
        response.writeHead(200, { 'content-type': contentType }).end(body);
      },
      () => {
        response.writeHead(500, { 'content-length': '0' }).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, METRICS_HOST, () => resolve());
  });
  return server;
}
