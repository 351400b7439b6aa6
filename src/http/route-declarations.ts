import type { FastifyInstance } from 'fastify';

import { requiresDeclaration } from './route-access.js';
import { isClosedSchema } from './validation.js';

/**
 * Refuses, at start, any route that does not declare its access rule, and any body schema that
 * would accept unknown properties. A forgotten declaration is a failed start, not an open door.
 */
export function enforceRouteDeclarations(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    // The CORS plugin answers preflight requests for every path; they carry no data.
    if (route.method === 'OPTIONS' && route.url === '*') return;
    if (!requiresDeclaration(route.url)) return;
    if (!route.config?.access) {
      throw new Error(`Route ${String(route.method)} ${route.url} declares no access rule.`);
    }
    if (route.schema?.body && !isClosedSchema(route.schema.body)) {
      throw new Error(`Route ${String(route.method)} ${route.url} accepts unknown properties.`);
    }
  });
}
