import { randomUUID } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { setTimeout as sleep } from 'node:timers/promises';

import type { FastifyInstance, RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  buildTestApp,
  uniqueRequestId,
  type TestApp,
  type TestAppOptions,
} from '../../test/helpers/app.js';
import { seedRestaurant, seedUser, signIn, type SignedInUser } from '../../test/helpers/auth.js';
import { IDENTITY_TEST_ENV, postLogin } from '../modules/auth/auth.test-helpers.js';
import { ROLES, roleHasPermission, type Role } from '../security/authz/permissions.js';
import { requiresDeclaration, type RouteAccess } from './route-access.js';

/**
 * Every route the application registers, seen through an `onRoute` hook that is installed the
 * moment the Fastify instance is created. Fastify announces each new instance on the
 * `fastify.initialization` diagnostics channel before any plugin or route is registered, so
 * nothing registered later can escape the list. A `preValidation` hook installed at the same
 * moment records the id of every request that got past authentication and authorization (which
 * run in `onRequest`), so a test can tell the access check's verdict from the handler's.
 */
async function buildAndListRoutes(
  options: TestAppOptions = {},
): Promise<{ t: TestApp; routes: RouteOptions[]; authorized: Set<string> }> {
  const routes: RouteOptions[] = [];
  const authorized = new Set<string>();
  const onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance };
    fastify.addHook('onRoute', (route) => {
      routes.push(route);
    });
    fastify.addHook('preValidation', async (request) => {
      authorized.add(request.id);
    });
  };

  diagnostics.subscribe('fastify.initialization', onInit);
  try {
    const t = await buildTestApp(options);
    return { t, routes, authorized };
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

/** One method of one declared route, as the access table exercises it. */
interface DeclaredRoute {
  method: string;
  url: string;
  access: RouteAccess;
}

/** Declared routes, one entry per method; HEAD twins of GET routes are left to their GET. */
function declaredRoutes(routes: RouteOptions[]): DeclaredRoute[] {
  const gets = new Set(routes.filter((r) => methodsOf(r).includes('GET')).map((r) => r.url));
  const seen = new Set<string>();
  const declared: DeclaredRoute[] = [];
  for (const route of routes) {
    const access = route.config?.access;
    if (!access) continue;
    for (const method of methodsOf(route)) {
      const key = `${method} ${route.url}`;
      if ((method === 'HEAD' && gets.has(route.url)) || seen.has(key)) continue;
      seen.add(key);
      declared.push({ method, url: route.url, access });
    }
  }
  return declared;
}

/** The URL with every path parameter filled with a random id (or a digit for a pattern). */
function placeholderUrl(url: string): string {
  return url
    .split('/')
    .map((segment) => {
      if (segment === '*') return 'placeholder';
      if (!segment.startsWith(':')) return segment;
      return segment.includes('(') ? '1' : randomUUID();
    })
    .join('/');
}

/** Live streams never finish; past this wait a request counts as still being served. */
const STREAM_WAIT_MS = 2_000;

interface Outcome {
  status: number | null;
  code: string | undefined;
  requestId: string;
  /** The request got past authentication and authorization. */
  authorized: boolean;
}

/**
 * Every declared route against every role, with placeholder ids and an empty body: the matrix in
 * `permissions.ts` must be exactly what the routes enforce. Routes added later by any feature
 * are picked up from the route table, so none can ship without being checked here.
 */
describe('route access table', () => {
  let t: TestApp;
  let declared: DeclaredRoute[];
  let authorized: Set<string>;
  const staff = new Map<Role, SignedInUser>();
  let enrolmentOnly: { authorization: string };
  let passwordChangeOnly: { authorization: string };

  beforeAll(async () => {
    let routes: RouteOptions[];
    ({ t, routes, authorized } = await buildAndListRoutes({ env: { ...IDENTITY_TEST_ENV } }));
    declared = declaredRoutes(routes);
    const restaurant = await seedRestaurant(t);
    for (const role of ROLES) staff.set(role, await signIn(t, restaurant, role));

    const pendingAdmin = await seedUser(t, restaurant, 'admin');
    const enrolment = await postLogin(t, {
      restaurant: restaurant.slug,
      username: pendingAdmin.username,
      password: pendingAdmin.password,
    });
    enrolmentOnly = { authorization: `Bearer ${enrolment.json().accessToken as string}` };

    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: staff.get('admin')!.headers,
      payload: {
        username: 'temporario',
        displayName: 'Temporario',
        role: 'cashier',
        temporaryPassword: 'Provisoria-Segura-4471',
      },
    });
    expect(created.statusCode).toBe(201);
    const temporary = await postLogin(t, {
      restaurant: restaurant.slug,
      username: 'temporario',
      password: 'Provisoria-Segura-4471',
    });
    passwordChangeOnly = { authorization: `Bearer ${temporary.json().accessToken as string}` };
  }, 120_000);
  afterAll(() => t.close());

  async function send(route: DeclaredRoute, headers: Record<string, string>): Promise<Outcome> {
    const requestId = uniqueRequestId('route-table');
    const withBody = ['POST', 'PUT', 'PATCH'].includes(route.method);
    const injection = t.app.inject({
      method: route.method as 'GET',
      url: placeholderUrl(route.url),
      headers: { ...headers, 'x-request-id': requestId },
      ...(withBody ? { payload: {} } : {}),
    });
    const response = await Promise.race([injection, sleep(STREAM_WAIT_MS).then(() => null)]);
    let code: string | undefined;
    try {
      code = response ? (response.json<{ code?: string }>().code ?? undefined) : undefined;
    } catch {
      code = undefined;
    }
    return {
      status: response?.statusCode ?? null,
      code,
      requestId,
      authorized: authorized.has(requestId),
    };
  }

  const describeRoute = (route: DeclaredRoute, outcome: Outcome) =>
    `${route.method} ${route.url} -> ${outcome.status ?? 'pending'} ${outcome.code ?? ''}`;

  it('finds the routes of every feature', () => {
    const urls = declared.map((route) => `${route.method} ${route.url}`);

    expect(urls).toEqual(
      expect.arrayContaining(['POST /api/v1/auth/login', 'GET /api/v1/users', 'GET /health/live']),
    );
    expect(declared.filter((route) => 'permission' in route.access).length).toBeGreaterThan(5);
  });

  it.each(ROLES)(
    '%s: refused with 403 exactly where the matrix withholds the permission, and audited',
    async (role) => {
      const caller = staff.get(role)!;
      const mismatches: string[] = [];
      const denied: string[] = [];

      for (const route of declared) {
        if (!('permission' in route.access)) continue;
        const permission = route.access.permission;
        const outcome = await send(route, caller.headers);

        if (!roleHasPermission(role, permission)) {
          denied.push(outcome.requestId);
          const refused =
            outcome.status === 403 && outcome.code === 'POS_ERR_FORBIDDEN' && !outcome.authorized;
          if (!refused) mismatches.push(`should refuse: ${describeRoute(route, outcome)}`);
        } else if (!outcome.authorized || outcome.status === 401) {
          mismatches.push(`should allow: ${describeRoute(route, outcome)}`);
        } else if (outcome.status !== null && outcome.status >= 500) {
          mismatches.push(`fails on placeholder input: ${describeRoute(route, outcome)}`);
        }
      }

      expect(mismatches).toEqual([]);
      const audited = await t.context.database.kysely
        .selectFrom('audit_events')
        .select('request_id')
        .where('event_type', '=', 'permission_denied')
        .where('actor_id', '=', caller.id)
        .execute();
      const auditedIds = new Set(audited.map((entry) => entry.request_id));
      expect(denied.filter((id) => !auditedIds.has(id))).toEqual([]);
    },
    120_000,
  );

  it('answers 401 without a token on every route that needs one', async () => {
    const mismatches: string[] = [];

    for (const route of declared) {
      if ('public' in route.access) continue;
      const outcome = await send(route, {});

      if (
        outcome.status !== 401 ||
        outcome.code !== 'POS_ERR_UNAUTHENTICATED' ||
        outcome.authorized
      ) {
        mismatches.push(describeRoute(route, outcome));
      }
    }

    expect(mismatches).toEqual([]);
  });

  it('serves every public route without a token', async () => {
    const mismatches: string[] = [];

    for (const route of declared) {
      if (!('public' in route.access)) continue;
      const outcome = await send(route, {});

      if (!outcome.authorized) mismatches.push(describeRoute(route, outcome));
    }

    expect(mismatches).toEqual([]);
  });

  it('lets restricted tokens reach only the routes that lift the restriction', async () => {
    const mismatches: string[] = [];

    for (const route of declared) {
      if ('public' in route.access) continue;
      const exempt: { allowPendingEnrolment?: boolean; allowPasswordChange?: boolean } =
        'authenticated' in route.access ? route.access : {};
      const checks = [
        [enrolmentOnly, exempt.allowPendingEnrolment, 'POS_ERR_MFA_ENROLMENT_REQUIRED'],
        [passwordChangeOnly, exempt.allowPasswordChange, 'POS_ERR_PASSWORD_CHANGE_REQUIRED'],
      ] as const;
      for (const [headers, allowed, code] of checks) {
        // Logging out would end the token this loop keeps using.
        if (route.url === '/api/v1/auth/logout') continue;
        const outcome = await send(route, headers);

        const ok = allowed === true ? outcome.authorized : outcome.code === code;
        if (!ok) mismatches.push(`${code}: ${describeRoute(route, outcome)}`);
      }
    }

    expect(mismatches).toEqual([]);
  }, 120_000);
});
