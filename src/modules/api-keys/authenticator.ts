import type { FastifyRequest } from 'fastify';

import type { AppContext } from '../../app/context.js';
import { AppError } from '../../core/errors.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { trustedRestaurantId } from '../../infra/db/tenant.js';
import type { Authenticator } from '../../security/authn/authenticate.js';
import { isPermission, type Permission } from '../../security/authz/permissions.js';
import { sourceOf } from '../../security/authz/principal.js';
import { hashToken } from '../../security/crypto/tokens.js';
import { assignClientRateClass } from '../../security/rate-limit/client.js';
import { isRateClass } from '../../security/rate-limit/limits.js';
import { API_KEY_HEADER, isWellFormedApiKey } from './keys.js';
import { findApiKeyByHash, type ApiKeyRow } from './repository.js';

type Refusal = 'malformed' | 'ambiguous' | 'unknown' | 'revoked' | 'expired';

/**
 * Authenticates a request carrying `X-API-Key`. The key becomes a principal like a user: its
 * restaurant, its scopes as permissions, no role. A missing header is not this authenticator's
 * business (null); a bad key is refused with the generic 401, whatever was wrong with it.
 */
export function apiKeyAuthenticator(context: AppContext): Authenticator {
  return async (request) => {
    const presented = request.headers[API_KEY_HEADER];
    if (presented === undefined) return null;

    if (typeof presented !== 'string' || !isWellFormedApiKey(presented)) {
      return refuse(context, request, 'malformed', null);
    }
    // Two credentials in one request leave it unclear whose request it is.
    if (request.headers.authorization !== undefined) {
      return refuse(context, request, 'ambiguous', null);
    }

    const key = await findApiKeyByHash(context.database.kysely, hashToken(presented));
    if (!key) return refuse(context, request, 'unknown', null);
    if (key.active !== 1) return refuse(context, request, 'revoked', key);
    if (key.expires_at <= context.clock.now().toISOString()) {
      return refuse(context, request, 'expired', key);
    }

    if (isRateClass(key.rate_class)) assignClientRateClass(request, key.rate_class);
    return {
      kind: 'api_key',
      id: key.id,
      restaurantId: trustedRestaurantId(key.restaurant_id),
      role: null,
      permissions: new Set(scopesOf(key)),
      customerId: null,
      tokenId: null,
      sessionId: null,
    };
  };
}

/** The stored scopes, keeping only names that are still permissions. */
export function scopesOf(key: Pick<ApiKeyRow, 'scopes'>): Permission[] {
  try {
    const parsed: unknown = JSON.parse(key.scopes);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (scope): scope is Permission => typeof scope === 'string' && isPermission(scope),
    );
  } catch {
    return [];
  }
}

/**
 * Refuses a key. A refusal is an authentication attempt of its source: it spends the source's
 * auth-class budget first, so a flood of bad keys is answered 429 without a write per request;
 * within the budget it is audited, counted towards blocking a source that tries many keys, and
 * answered 401.
 */
async function refuse(
  context: AppContext,
  request: FastifyRequest,
  reason: Refusal,
  key: ApiKeyRow | null,
): Promise<never> {
  const { limiter, intrusion } = request.server.protection;
  await limiter.consume(request, 'auth');

  await inTransaction(context.database, (tx) =>
    context.audit.record(tx, {
      type: 'login_failure',
      action: 'apikey.authenticate',
      outcome: 'failure',
      restaurantId: key?.restaurant_id ?? null,
      actor: key ? { type: 'api_key', id: key.id, role: null } : { type: 'anonymous' },
      source: sourceOf(request),
      ...(key ? { resource: { type: 'api_key', id: key.id } } : {}),
      details: { reason },
    }),
  );

  const presented = request.headers[API_KEY_HEADER];
  const account = typeof presented === 'string' ? hashToken(presented).slice(0, 16) : 'malformed';
  await intrusion.credentialFailed(request, `api_key:${account}`);
  throw new AppError('POS_ERR_UNAUTHENTICATED');
}
