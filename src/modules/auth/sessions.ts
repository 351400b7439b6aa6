import type { AppContext } from '../../app/context.js';
import { anonymizeIp } from '../../audit/ip.js';
import { AppError, notFound } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import type { AuthSessionsTable } from '../../infra/db/schema.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { trustedRestaurantId, type RestaurantId } from '../../infra/db/tenant.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import { hashToken, randomToken } from '../../security/crypto/index.js';
import type { UserRow } from '../users/repository.js';
import { UsersRepository } from '../users/repository.js';

/** Refresh tokens carry 256 random bits (SPEC 5.2 asks for at least that). */
const REFRESH_TOKEN_BYTES = 32;
const USER_AGENT_MAX = 200;

export interface SessionOrigin {
  ip: string;
  userAgent: string | undefined;
}

export interface IssuedSession {
  sessionId: string;
  refreshToken: string;
  expiresAt: string;
}

/** Starts a sign-in: a session (refresh-token family) and its first refresh token. */
export async function createSession(
  context: AppContext,
  tx: Executor,
  user: UserRow,
  origin: SessionOrigin,
): Promise<IssuedSession> {
  const now = context.clock.now();
  const expiresAt = new Date(now.getTime() + context.config.auth.refreshTokenTtlHours * 3_600_000);
  const session: AuthSessionsTable = {
    id: context.ids(),
    restaurant_id: user.restaurant_id,
    user_id: user.id,
    created_at: now.toISOString(),
    expires_at: expiresAt.toISOString(),
    last_used_at: now.toISOString(),
    revoked_at: null,
    revoked_reason: null,
    user_agent: origin.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
    ip_prefix: anonymizeIp(origin.ip),
  };
  await tx.insertInto('auth_sessions').values(session).execute();
  const refreshToken = await addRefreshToken(context, tx, session.id);
  return { sessionId: session.id, refreshToken, expiresAt: session.expires_at };
}

async function addRefreshToken(context: AppContext, tx: Executor, sessionId: string) {
  const token = randomToken(REFRESH_TOKEN_BYTES);
  await tx
    .insertInto('refresh_tokens')
    .values({
      id: context.ids(),
      session_id: sessionId,
      token_hash: hashToken(token),
      created_at: context.clock.now().toISOString(),
      rotated_at: null,
    })
    .execute();
  return token;
}

export type RefreshOutcome =
  | { kind: 'rotated'; user: UserRow; sessionId: string; refreshToken: string; expiresAt: string }
  | { kind: 'reused'; user: UserRow; sessionId: string }
  | { kind: 'invalid' };

/**
 * Exchanges a refresh token for a new one. A token already exchanged is reuse: somebody kept a
 * copy, so the whole family is revoked and the caller records a security event. The exchange is
 * a conditional update, so two concurrent uses of one token cannot both succeed.
 */
export async function rotateRefreshToken(
  context: AppContext,
  tx: Executor,
  presented: string,
): Promise<RefreshOutcome> {
  const now = context.clock.now().toISOString();
  const row = await tx
    .selectFrom('refresh_tokens')
    .innerJoin('auth_sessions', 'auth_sessions.id', 'refresh_tokens.session_id')
    .select([
      'refresh_tokens.id as tokenId',
      'refresh_tokens.rotated_at as rotatedAt',
      'auth_sessions.id as sessionId',
      'auth_sessions.user_id as userId',
      'auth_sessions.restaurant_id as restaurantId',
      'auth_sessions.expires_at as expiresAt',
      'auth_sessions.revoked_at as revokedAt',
    ])
    .where('refresh_tokens.token_hash', '=', hashToken(presented))
    .executeTakeFirst();
  if (!row) return { kind: 'invalid' };

  const users = new UsersRepository(tx, trustedRestaurantId(row.restaurantId));
  const user = await users.findById(row.userId);
  if (!user) return { kind: 'invalid' };

  if (row.rotatedAt !== null) {
    if (row.revokedAt === null) await revokeSession(context, tx, row.sessionId, 'refresh_reuse');
    return { kind: 'reused', user, sessionId: row.sessionId };
  }
  if (row.revokedAt !== null || row.expiresAt <= now || user.status !== 'active') {
    return { kind: 'invalid' };
  }

  const claimed = await tx
    .updateTable('refresh_tokens')
    .set({ rotated_at: now })
    .where('id', '=', row.tokenId)
    .where('rotated_at', 'is', null)
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) {
    await revokeSession(context, tx, row.sessionId, 'refresh_reuse');
    return { kind: 'reused', user, sessionId: row.sessionId };
  }

  await tx
    .updateTable('auth_sessions')
    .set({ last_used_at: now })
    .where('id', '=', row.sessionId)
    .execute();
  const refreshToken = await addRefreshToken(context, tx, row.sessionId);
  return {
    kind: 'rotated',
    user,
    sessionId: row.sessionId,
    refreshToken,
    expiresAt: row.expiresAt,
  };
}

/** Ends a session: its refresh tokens stop working and its access tokens are refused at once. */
export async function revokeSession(
  context: AppContext,
  tx: Executor,
  sessionId: string,
  reason: string,
): Promise<void> {
  const session = await tx
    .selectFrom('auth_sessions')
    .select(['expires_at', 'revoked_at'])
    .where('id', '=', sessionId)
    .executeTakeFirst();
  if (!session) return;

  if (session.revoked_at === null) {
    await tx
      .updateTable('auth_sessions')
      .set({ revoked_at: context.clock.now().toISOString(), revoked_reason: reason })
      .where('id', '=', sessionId)
      .execute();
  }
  await context.auth.revocations.revoke(tx, 'session', sessionId, new Date(session.expires_at));
}

/** Ends every open session of a user, optionally keeping one (the caller's own). */
export async function revokeUserSessions(
  context: AppContext,
  tx: Executor,
  userId: string,
  reason: string,
  keepSessionId?: string,
): Promise<number> {
  const open = await tx
    .selectFrom('auth_sessions')
    .select('id')
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', context.clock.now().toISOString())
    .execute();
  const toRevoke = open.filter((session) => session.id !== keepSessionId);
  for (const session of toRevoke) await revokeSession(context, tx, session.id, reason);
  return toRevoke.length;
}

export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ipPrefix: string | null;
  current: boolean;
}

/** A user's open sessions, newest first. */
export async function listSessions(
  context: AppContext,
  restaurantId: RestaurantId,
  userId: string,
  currentSessionId: string | null,
): Promise<SessionView[]> {
  const rows = await context.database.kysely
    .selectFrom('auth_sessions')
    .selectAll()
    .where('restaurant_id', '=', restaurantId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', context.clock.now().toISOString())
    .orderBy('created_at', 'desc')
    .limit(100)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    userAgent: row.user_agent,
    ipPrefix: row.ip_prefix,
    current: row.id === currentSessionId,
  }));
}

/**
 * Ends one of the caller's own sessions (a lost or shared terminal): a logout, audited as one.
 * Another user's or restaurant's session id answers 404, as if it did not exist.
 */
export async function revokeOwnedSession(
  context: AppContext,
  principal: Principal,
  sessionId: string,
  source: RequestSource,
): Promise<void> {
  const { restaurantId, id: userId } = principal;
  await inTransaction(context.database, async (tx) => {
    const session = await tx
      .selectFrom('auth_sessions')
      .select('id')
      .where('id', '=', sessionId)
      .where('restaurant_id', '=', restaurantId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!session) throw notFound();
    await revokeSession(context, tx, session.id, 'user_revoked');
    await context.audit.record(tx, {
      type: 'logout',
      action: 'auth.session_revoke',
      outcome: 'success',
      restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'session', id: session.id },
    });
  });
}

export function unauthenticated(): AppError {
  return new AppError('POS_ERR_UNAUTHENTICATED');
}
