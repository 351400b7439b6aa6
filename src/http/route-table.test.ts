import diagnostics from 'node:diagnostics_channel';

import type { FastifyInstance, RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp, type TestAppOptions } from '../../test/helpers/app.js';
import { requiresDeclaration } from './route-access.js';

/**
 * Every route the application registers, seen through an `onRoute` hook that is installed the
 * moment the Fastify instance is created. Fastify announces each new instance on the
 * `fastify.initialization` diagnostics channel before any plugin or route is registered, so
 * nothing registered later can escape the list.
 */
async function buildAndListRoutes(
  options: TestAppOptions = {},
): Promise<{ t: TestApp; routes: RouteOptions[] }> {
  const routes: RouteOptions[] = [];
  const onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance };
    fastify.addHook('onRoute', (route) => {
      routes.push(route);
    });
  };

  diagnostics.subscribe('fastify.initialization', onInit);
  try {
    const t = await buildTestApp(options);
    return { t, routes };
  } finally {
    diagnostics.unsubscribe('fastify.initialization', onInit);
  }
}

const methodsOf = (route: RouteOptions): string[] =>
  Array.isArray(route.method) ? route.method : [route.method];

describe('route table', () => {
  let t: TestApp;
  let routes: RouteOptions[];

  beforeAll(async () => {
    ({ t, routes } = await buildAndListRoutes({
      routes: async (app) => {
        await app.register(
          async (plugin) => {
            plugin.get('/probe', { config: { access: { public: true } } }, async () => 'ok');
          },
          { prefix: '/api/v1/test' },
        );
      },
    }));
  });
  afterAll(() => t.close());

  it('sees the whole table: module routes, docs, and routes inside prefixed plugins', () => {
    const urls = routes.map((route) => route.url);

    expect(urls).toEqual(
      expect.arrayContaining(['/health/live', '/health/ready', '/api/v1/test/probe']),
    );
    expect(urls.some((url) => url.startsWith('/docs'))).toBe(true);
  });

  it('has an access declaration on every route outside /docs', () => {
    const undeclared = routes
      .filter((route) => requiresDeclaration(route.url))
      // The CORS plugin's catch-all preflight answers OPTIONS for every path and carries no data.
      .filter((route) => !(route.url === '*' && methodsOf(route).every((m) => m === 'OPTIONS')))
      .filter((route) => route.config?.access === undefined)
      .map((route) => `${methodsOf(route).join(',')} ${route.url}`);

    expect(undeclared).toEqual([]);
  });

  it('puts every API route under /api/v1 or the documented operational prefixes', () => {
    const outside = routes
      .map((route) => route.url)
      .filter((url) => url !== '*')
      .filter((url) => !/^\/(api\/v1|health|metrics|docs|\.well-known)(\/|$)/.test(url));

    expect(outside).toEqual([]);
  });
});
