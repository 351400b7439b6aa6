import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';

import type { RateClass } from './limits.js';

/**
 * The client address of a request, as limits and blocks see it: the socket's peer, or the
 * `X-Forwarded-For` entry a configured trusted proxy vouches for (Fastify's `trustProxy`, set
 * from CHEFIA_TRUSTED_PROXIES, already applies that rule to `request.ip`). IPv4-mapped IPv6 is
 * read as IPv4, and an IPv6 address stands for its /64, because one subscriber holds the whole
 * /64 and could otherwise rotate through it.
 */
export function clientAddress(request: FastifyRequest): string {
  // A socket torn down mid-request has no peer address left; such requests share one bucket.
  const ip = request.ip as string | undefined;
  return ip ? normalizeIP(ip) : 'unknown';
}

/** The rate class an API key was given, for requests it authenticates. */
const keyRateClasses = new WeakMap<FastifyRequest, RateClass>();

/** Called by the API-key authenticator: the key's class applies to its default-class requests. */
export function assignClientRateClass(request: FastifyRequest, rateClass: RateClass): void {
  keyRateClasses.set(request, rateClass);
}

/**
 * The class a request is counted in: the route's (`config.rateClass`, `default` when undeclared),
 * except that an API key given a class of its own is counted in it on default-class routes. A
 * stricter route class (auth, payment, report) always applies.
 */
export function rateClassOf(request: FastifyRequest): RateClass {
  const routeClass = request.routeOptions.config.rateClass ?? 'default';
  if (routeClass !== 'default') return routeClass;
  return keyRateClasses.get(request) ?? 'default';
}

/**
 * Who a request is counted against: its API key, else its user, else its address. The auth class
 * always counts by address: a login has no user yet, and counting the authenticated auth routes
 * (password change, MFA, manager approvals) by address too means one source gets one budget of
 * credential attempts whatever accounts it signs in with.
 */
export function clientKeyOf(request: FastifyRequest, rateClass: RateClass): string {
  if (rateClass === 'auth') return `auth:ip:${clientAddress(request)}`;

  const principal = request.principal;
  if (principal?.kind === 'api_key') return `${rateClass}:key:${principal.id}`;
  if (principal) return `${rateClass}:user:${principal.id}`;
  return `${rateClass}:ip:${clientAddress(request)}`;
}
