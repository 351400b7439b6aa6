import type { FastifyRequest } from 'fastify';

import type { AuditActor } from '../../audit/events.js';
import { AppError } from '../../core/errors.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import type { Permission, Role } from './permissions.js';

/**
 * Whoever is making a request, once authenticated: a signed-in user or an API key. Features ask
 * only this, never the token or the header it came from, so every kind of credential is checked
 * the same way and the restaurant always comes from here, never from the request.
 */
export interface Principal {
  kind: 'user' | 'api_key';
  /** The user id or the API key id. */
  id: string;
  restaurantId: RestaurantId;
  /** A user's role; API keys carry scopes instead and have none. */
  role: Role | null;
  permissions: ReadonlySet<Permission>;
  /** The customer record linked to a customer login, if any. */
  customerId: string | null;
  /** The access token's `jti` and its refresh family, for users. */
  tokenId: string | null;
  sessionId: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The authenticated principal of a request whose route requires one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('POS_ERR_UNAUTHENTICATED');
  return request.principal;
}

export function hasPermission(principal: Principal, permission: Permission): boolean {
  return principal.permissions.has(permission);
}

/** The audit actor for a principal. */
export function actorOf(principal: Principal | null): AuditActor {
  if (!principal) return { type: 'anonymous' };
  return {
    type: principal.kind === 'user' ? 'user' : 'api_key',
    id: principal.id,
    role: principal.role,
  };
}

/** Where a request came from, for the audit trail. */
export interface RequestSource {
  ip: string;
  requestId: string;
}

export function sourceOf(request: FastifyRequest): RequestSource {
  return { ip: request.ip, requestId: request.id };
}
