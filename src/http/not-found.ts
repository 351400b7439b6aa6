import type { FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';

import { errorBody } from './error-handler.js';

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Unknown paths answer 404 and known paths called with the wrong method answer 405 with an
 * `Allow` header, both in the error shape. Fastify has no 405 of its own, so a shadow router
 * holds every registered path to tell the two apart.
 */
export function installNotFoundHandler(app: FastifyInstance): void {
  const shadow = FindMyWay({ ignoreTrailingSlash: false });
  app.addHook('onRoute', (route) => {
    // The CORS preflight catch-all would make every path look known.
    if (route.url === '*') return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (!METHODS.includes(method as HTTPMethod)) continue;
      try {
        shadow.on(method as HTTPMethod, route.url, () => undefined);
      } catch {
        // Already known from another registration of the same path and method.
      }
    }
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = METHODS.filter((method) => shadow.find(method, path) !== null);
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send(errorBody('POS_ERR_METHOD_NOT_ALLOWED'));
    }
    return reply.code(404).send(errorBody('POS_ERR_NOT_FOUND'));
  });
}
