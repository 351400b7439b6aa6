import type { AppContext } from '../../app/context.js';
import { AppError } from '../../core/errors.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import type { AccessClaims } from '../../security/tokens/access-tokens.js';
import { toUserView, type UserView } from '../users/service.js';
import { UsersRepository } from '../users/repository.js';
import { hashAcceptablePassword, storePasswordHash } from './passwords.js';
import { revokeSession, revokeUserSessions, rotateRefreshToken } from './sessions.js';
import { enrolmentPending, issueSessionTokens, type SessionTokens } from './tokens.js';

/**
 * Exchanges a refresh token for new tokens. Presenting one that was already exchanged revokes
 * its whole family and raises a security event, since a copy of it is in someone else's hands.
 */
export async function refreshSession(
  context: AppContext,
  presented: string,
  source: RequestSource,
): Promise<SessionTokens> {
  const outcome = await inTransaction(context.database, async (tx) => {
    const result = await rotateRefreshToken(context, tx, presented);
    if (result.kind === 'reused') {
      await context.audit.record(tx, {
        type: 'token_reuse',
        action: 'auth.refresh_reuse',
        outcome: 'denied',
        restaurantId: result.user.restaurant_id,
        actor: { type: 'user', id: result.user.id, role: result.user.role },
        source,
        resource: { type: 'session', id: result.sessionId },
        risk: { suspiciousPattern: true },
      });
    }
    return result;
  });

  if (outcome.kind !== 'rotated') throw new AppError('POS_ERR_UNAUTHENTICATED');
  return issueSessionTokens(
    context,
    outcome.user,
    {
      sessionId: outcome.sessionId,
      refreshToken: outcome.refreshToken,
      expiresAt: outcome.expiresAt,
    },
    enrolmentPending(context, outcome.user),
  );
}

/** Ends the caller's session: this access token and the whole refresh family stop working. */
export async function logout(
  context: AppContext,
  principal: Principal,
  claims: AccessClaims,
  source: RequestSource,
): Promise<void> {
  await inTransaction(context.database, async (tx) => {
    await context.auth.revocations.revoke(tx, 'token', claims.jti, new Date(claims.exp * 1000));
    await revokeSession(context, tx, claims.sid, 'logout');
    await context.audit.record(tx, {
      type: 'logout',
      action: 'auth.logout',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'session', id: claims.sid },
    });
  });
}

/**
 * Changes the caller's own password after checking the current one. Every other session ends;
 * the current one continues with a fresh token that no longer demands a change.
 */
export async function changeOwnPassword(
  context: AppContext,
  principal: Principal,
  claims: AccessClaims,
  input: { currentPassword: string; newPassword: string },
  source: RequestSource,
): Promise<{ accessToken: string; expiresIn: number }> {
  const user = await new UsersRepository(context.database.kysely, principal.restaurantId).findById(
    principal.id,
  );
  if (!user) throw new AppError('POS_ERR_UNAUTHENTICATED');

  // The slow checks (argon2 and zxcvbn) run before the transaction, as at login.
  const current = await context.auth.hasher.verify(user.password_hash, input.currentPassword);
  if (!current.ok) {
    await inTransaction(context.database, (tx) =>
      context.audit.record(tx, {
        type: 'password_change',
        action: 'auth.password_change',
        outcome: 'failure',
        restaurantId: principal.restaurantId,
        actor: actorOf(principal),
        source,
        resource: { type: 'user', id: user.id },
        details: { reason: 'bad_current_password' },
      }),
    );
    throw new AppError('POS_ERR_UNAUTHENTICATED');
  }
  const hash = await hashAcceptablePassword(context, user, input.newPassword);

  await inTransaction(context.database, async (tx) => {
    const users = new UsersRepository(tx, principal.restaurantId);
    const locked = await users.findByIdForUpdate(user.id, context.database.dialect === 'postgres');
    // Changed by someone else since it was checked: the current password given is stale.
    if (locked?.password_hash !== user.password_hash) {
      throw new AppError('POS_ERR_UNAUTHENTICATED');
    }

    await storePasswordHash(context, users, user.id, hash, false);
    await revokeUserSessions(context, tx, user.id, 'password_change', claims.sid);
    await context.auth.revocations.revoke(tx, 'token', claims.jti, new Date(claims.exp * 1000));
    await context.audit.record(tx, {
      type: 'password_change',
      action: 'auth.password_change',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'user', id: user.id },
    });
  });

  const { token, claims: issued } = await context.auth.tokens.issue({
    type: claims.typ,
    userId: user.id,
    restaurantId: user.restaurant_id,
    role: claims.role,
    sessionId: claims.sid,
    mustChangePassword: false,
    customerId: user.customer_id,
  });
  return { accessToken: token, expiresIn: issued.exp - issued.iat };
}

/** The caller's own profile. */
export async function me(context: AppContext, principal: Principal): Promise<UserView> {
  const user = await new UsersRepository(context.database.kysely, principal.restaurantId).findById(
    principal.id,
  );
  if (!user) throw new AppError('POS_ERR_UNAUTHENTICATED');
  return toUserView(user);
}
