import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { AppContext } from '../../app/context.js';
import { AppError } from '../../core/errors.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { trustedRestaurantId } from '../../infra/db/tenant.js';
import { permissionsOf } from '../authz/permissions.js';
import { recordDenial } from '../authz/denials.js';
import { sourceOf, type Principal } from '../authz/principal.js';
import { TokenRejectedError, type AccessClaims } from '../tokens/access-tokens.js';

/**
 * Turns one kind of credential into a principal. Returns `null` when the request does not carry
 * this kind of credential; throws the generic authentication error when it carries a bad one.
 */
export type Authenticator = (request: FastifyRequest) => Promise<Principal | null>;

/** What a verified access token says about the request, beside the principal. */
declare module 'fastify' {
  interface FastifyRequest {
    accessClaims: AccessClaims | null;
  }
}

/** The bearer-token authenticator: a signed, unexpired, unrevoked access token. */
export function bearerAuthenticator(context: AppContext): Authenticator {
  return async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) return null;

    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(header);
    if (!match?.[1]) return refuseToken(context, request, new TokenRejectedError('malformed'));

    const claims = await verifyOrRefuse(context, request, match[1]);
    const { revocations } = context.auth;
    if (
      revocations.isRevoked('token', claims.jti) ||
      revocations.isRevoked('session', claims.sid)
    ) {
      return refuseToken(context, request, new TokenRejectedError('revoked', claims));
    }

    request.accessClaims = claims;
    return {
      kind: 'user',
      id: claims.sub,
      restaurantId: trustedRestaurantId(claims.rid),
      role: claims.role,
      permissions: claims.typ === 'access' ? permissionsOf(claims.role) : new Set(),
      customerId: claims.cid,
      tokenId: claims.jti,
      sessionId: claims.sid,
    };
  };
}

async function verifyOrRefuse(
  context: AppContext,
  request: FastifyRequest,
  token: string,
): Promise<AccessClaims> {
  try {
    return await context.auth.tokens.verify(token);
  } catch (error) {
    if (error instanceof TokenRejectedError) return refuseToken(context, request, error);
    throw error;
  }
}

/**
 * Refuses a bearer token: an invalid access attempt (PCI DSS 10.2.1.4), audited with a fixed
 * reason and never any part of the token. A token whose signature was ours (expired, revoked)
 * is recorded against its user and restaurant; any other belongs to no one we can trust, so it
 * goes to the system chain. This runs only on failure, and spends the source's default-class
 * budget first, so a flood of bad tokens is answered 429 without a write per request. Not the
 * auth class: a terminal presenting its expired token before refreshing is routine, and must
 * not use up the budget of the refresh that follows.
 */
async function refuseToken(
  context: AppContext,
  request: FastifyRequest,
  rejection: TokenRejectedError,
): Promise<never> {
  await request.server.protection.limiter.consume(request, 'default');

  const { claims } = rejection;
  await inTransaction(context.database, (tx) =>
    context.audit.record(tx, {
      type: 'login_failure',
      action: 'auth.token_rejected',
      outcome: 'failure',
      restaurantId: claims?.rid ?? null,
      actor: claims ? { type: 'user', id: claims.sub, role: claims.role } : { type: 'anonymous' },
      source: sourceOf(request),
      details: { reason: rejection.reason },
    }),
  );
  throw rejection;
}

/**
 * Authenticates and authorizes every request before its body is even read, from the access rule
 * the route declares. Denials are audited; the restaurant of every later query comes from the
 * principal set here.
 */
export function installAuthentication(app: FastifyInstance, context: AppContext): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('accessClaims', null);

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access) return;

    const principal = await authenticate(request, context.auth.authenticators);
    request.principal = principal;
    if ('public' in access) return;
    if (!principal) throw new AppError('POS_ERR_UNAUTHENTICATED');

    const claims = request.accessClaims;
    const exempt: { allowPendingEnrolment?: boolean; allowPasswordChange?: boolean } =
      'authenticated' in access ? access : {};
    if (claims?.typ === 'mfa_enrolment' && exempt.allowPendingEnrolment !== true) {
      throw new AppError('POS_ERR_MFA_ENROLMENT_REQUIRED');
    }
    if (claims?.mcp && exempt.allowPasswordChange !== true) {
      throw new AppError('POS_ERR_PASSWORD_CHANGE_REQUIRED');
    }
    if ('permission' in access && !principal.permissions.has(access.permission)) {
      await recordDenial(
        context,
        principal,
        sourceOf(request),
        { type: 'route', id: `${request.method} ${request.routeOptions.url ?? ''}` },
        access.permission,
      );
      throw new AppError('POS_ERR_FORBIDDEN');
    }
  });
}

async function authenticate(
  request: FastifyRequest,
  authenticators: readonly Authenticator[],
): Promise<Principal | null> {
  for (const authenticator of authenticators) {
    const principal = await authenticator(request);
    if (principal) return principal;
  }
  return null;
}
