import type { Permission } from '../security/authz/permissions.js';

/**
 * What a route requires, declared in its options (`config.access`). Every route must declare
 * one: registering a route without it fails at start, and a test walks the route table.
 * - `public`: anyone (health checks, the public menu, login);
 * - `authenticated`: any signed-in principal, object rules applied by the service;
 * - `permission`: a principal holding that permission.
 */
export type RouteAccess =
  | { public: true }
  | { authenticated: true; allowPendingEnrolment?: boolean; allowPasswordChange?: boolean }
  | { permission: Permission };

/** Rate-limit class of a route (SPEC 5.4). */
export type RateClass = 'default' | 'auth' | 'payment' | 'report';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    rateClass?: RateClass;
  }
}

/** Routes served by third-party plugins (the API docs UI) that cannot carry a declaration. */
export const UNDECLARED_PREFIXES = ['/docs'];

export function requiresDeclaration(url: string): boolean {
  return !UNDECLARED_PREFIXES.some((prefix) => url === prefix || url.startsWith(`${prefix}/`));
}
