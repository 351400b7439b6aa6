import type { AppContext } from '../../app/context.js';
import { notFound, validationError } from '../../core/errors.js';
import { inTransaction } from '../../infra/db/transaction.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import type { Permission } from '../../security/authz/permissions.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import { isRateClass, type RateClass } from '../../security/rate-limit/limits.js';
import { scopesOf } from './authenticator.js';
import { generateApiKey } from './keys.js';
import { ApiKeysRepository, type ApiKeyRow } from './repository.js';
import type { ApiKeyView } from './schemas.js';
import type { ApiKeyUsage } from './usage.js';

const DAY_MS = 86_400_000;
const DEFAULT_LIFETIME_DAYS = 90;
const MAX_LIFETIME_DAYS = 365;

/** A key minting keys would let one leaked key outlive every revocation; no key may hold this. */
const UNGRANTABLE: ReadonlySet<Permission> = new Set(['apikey.manage']);

export interface NewApiKeyInput {
  name: string;
  scopes: Permission[];
  rateClass?: RateClass;
  expiresAt?: string;
}

export function toApiKeyView(key: ApiKeyRow, usage: ApiKeyUsage): ApiKeyView {
  const pending = usage.pendingLastUsed(key.id);
  const stored = key.last_used_at;
  return {
    id: key.id,
    name: key.name,
    keyPrefix: key.key_prefix,
    scopes: scopesOf(key),
    rateClass: isRateClass(key.rate_class) ? key.rate_class : 'default',
    active: key.active === 1,
    expiresAt: key.expires_at,
    createdBy: key.created_by,
    createdAt: key.created_at,
    lastUsedAt: pending && (!stored || pending > stored) ? pending : stored,
    revokedAt: key.revoked_at,
  };
}

/**
 * Creates a key for the creator's restaurant. Its scopes must be permissions the creator holds
 * (a key never grants more than its maker has), and it expires: 90 days by default, a year at
 * most. The key itself is returned this once; only its hash is kept.
 */
export async function createApiKey(
  context: AppContext,
  usage: ApiKeyUsage,
  principal: Principal,
  input: NewApiKeyInput,
  source: RequestSource,
): Promise<ApiKeyView & { key: string }> {
  const name = input.name.trim();
  if (name.length === 0) {
    throw validationError([{ path: 'body/name', message: 'must not be blank' }]);
  }

  const scopes = [...new Set(input.scopes)];
  if (scopes.some((scope) => UNGRANTABLE.has(scope) || !principal.permissions.has(scope))) {
    throw validationError([
      { path: 'body/scopes', message: 'must be permissions you hold, other than apikey.manage' },
    ]);
  }

  const now = context.clock.now();
  const expiresAt = expiryOf(input.expiresAt, now);
  const generated = generateApiKey();

  const row = await inTransaction(context.database, async (tx) => {
    const key = await new ApiKeysRepository(tx, principal.restaurantId).insert({
      id: context.ids(),
      name,
      key_hash: generated.hash,
      key_prefix: generated.prefix,
      scopes: JSON.stringify(scopes),
      rate_class: input.rateClass ?? 'default',
      active: 1,
      expires_at: expiresAt,
      created_by: principal.id,
      created_at: now.toISOString(),
      last_used_at: null,
      revoked_at: null,
      revoked_by: null,
    });
    await context.audit.record(tx, {
      type: 'object_created',
      action: 'apikey.create',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'api_key', id: key.id },
      details: { scopes: scopes.join(','), rateClass: key.rate_class, expiresAt },
    });
    return key;
  });

  return { ...toApiKeyView(row, usage), key: generated.key };
}

function expiryOf(requested: string | undefined, now: Date): string {
  if (requested === undefined) {
    return new Date(now.getTime() + DEFAULT_LIFETIME_DAYS * DAY_MS).toISOString();
  }

  const at = Date.parse(requested);
  if (!(at > now.getTime()) || at > now.getTime() + MAX_LIFETIME_DAYS * DAY_MS) {
    throw validationError([
      { path: 'body/expiresAt', message: 'must be in the future and at most 365 days ahead' },
    ]);
  }
  return new Date(at).toISOString();
}

export async function listApiKeys(
  context: AppContext,
  usage: ApiKeyUsage,
  restaurantId: RestaurantId,
  options: { limit: number; cursor?: string },
): Promise<{ items: ApiKeyView[]; nextCursor: string | null }> {
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  const rows = await new ApiKeysRepository(context.database.kysely, restaurantId).list({
    limit: options.limit + 1,
    ...(after ? { after } : {}),
  });

  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  const nextCursor = rows.length > options.limit && last ? encodeCursor(last) : null;
  return { items: page.map((row) => toApiKeyView(row, usage)), nextCursor };
}

/**
 * Revokes a key at once: the next request carrying it is refused, in every process, because
 * keys are looked up on each request. Revoking a revoked key changes nothing and is not audited
 * again.
 */
export async function revokeApiKey(
  context: AppContext,
  usage: ApiKeyUsage,
  principal: Principal,
  keyId: string,
  source: RequestSource,
): Promise<ApiKeyView> {
  const row = await inTransaction(context.database, async (tx) => {
    const keys = new ApiKeysRepository(tx, principal.restaurantId);
    const key = await keys.findById(keyId);
    if (!key) throw notFound();

    const now = context.clock.now().toISOString();
    if (!(await keys.revoke(key.id, now, principal.id))) return key;

    await context.audit.record(tx, {
      type: 'object_deleted',
      action: 'apikey.revoke',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'api_key', id: key.id },
    });
    return { ...key, active: 0, revoked_at: now, revoked_by: principal.id };
  });
  return toApiKeyView(row, usage);
}

function encodeCursor(row: ApiKeyRow): string {
  return Buffer.from(JSON.stringify([row.created_at, row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      typeof parsed[1] === 'string'
    ) {
      return { createdAt: parsed[0], id: parsed[1] };
    }
  } catch {
    // Reported below.
  }
  throw validationError([{ path: 'querystring/cursor', message: 'is not a valid cursor' }]);
}
