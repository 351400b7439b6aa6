import type { AppContext } from '../../app/context.js';
import type { AuditActor } from '../../audit/events.js';
import { AppError } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { RestaurantsRepository } from '../restaurants/repository.js';
import { UsersRepository, type UserRow } from '../users/repository.js';
import { verifySecondFactor } from './mfa.js';
import { createSession, revokeUserSessions, type SessionOrigin } from './sessions.js';
import { enrolmentPending, issueSessionTokens, type SessionTokens } from './tokens.js';

export interface LoginInput {
  restaurant: string;
  username: string;
  password: string;
  totp?: string;
  recoveryCode?: string;
}

type Attempt =
  | { outcome: 'success'; tokens: SessionTokens }
  | { outcome: 'failure'; error: AppError };

const failed = (): Attempt => ({
  outcome: 'failure',
  error: new AppError('POS_ERR_UNAUTHENTICATED'),
});

/**
 * Signs a user in. Unknown restaurant, unknown user, wrong password, locked and disabled accounts
 * all fail with the same error, and all do the same password-hashing work: an unknown user's
 * attempt is checked against a dummy hash so that timing does not reveal which names exist.
 */
export async function login(
  context: AppContext,
  input: LoginInput,
  origin: SessionOrigin & { requestId: string },
): Promise<SessionTokens> {
  const attempt = await inTransaction(context.database, (tx) =>
    attemptLogin(context, tx, input, origin),
  );
  if (attempt.outcome === 'failure') throw attempt.error;
  return attempt.tokens;
}

async function attemptLogin(
  context: AppContext,
  tx: Executor,
  input: LoginInput,
  origin: SessionOrigin & { requestId: string },
): Promise<Attempt> {
  const restaurant = await new RestaurantsRepository(tx).findBySlug(input.restaurant);
  const users = restaurant ? new UsersRepository(tx, restaurant.id) : null;
  const user = users
    ? await users.findByUsername(input.username, context.database.dialect === 'postgres')
    : null;
  const source = { ip: origin.ip, requestId: origin.requestId };

  if (!restaurant || !users || !user) {
    await context.auth.hasher.burn(input.password);
    await context.audit.record(tx, {
      type: 'login_failure',
      action: 'auth.login',
      outcome: 'failure',
      restaurantId: restaurant?.id ?? null,
      actor: { type: 'anonymous' },
      source,
      details: { reason: 'unknown_account' },
    });
    return failed();
  }

  const verification = await context.auth.hasher.verify(user.password_hash, input.password);
  const now = context.clock.now();
  const actor: AuditActor = { type: 'user', id: user.id, role: user.role };
  const audit = (reason: string, repeatedFailures = 0) =>
    context.audit.record(tx, {
      type: 'login_failure',
      action: 'auth.login',
      outcome: 'failure',
      restaurantId: restaurant.id,
      actor,
      source,
      details: { reason },
      risk: { repeatedFailures },
    });

  const lockedNow =
    user.status === 'locked' && (user.locked_until === null || user.locked_until > now.toISOString());
  if (user.status === 'disabled' || lockedNow) {
    await audit(user.status === 'disabled' ? 'disabled' : 'locked');
    return failed();
  }

  // A lock that has run out starts the count again.
  const priorFailures = user.status === 'locked' ? 0 : user.failed_login_count;
  if (!verification.ok) {
    const failures = await recordFailure(context, tx, users, user, priorFailures);
    await audit('bad_password', failures);
    return failed();
  }

  const secondFactor = await verifySecondFactor(context, tx, users, user, input);
  if (secondFactor === 'missing' || secondFactor === 'invalid') {
    const failures =
      secondFactor === 'invalid'
        ? await recordFailure(context, tx, users, user, priorFailures)
        : 0;
    await audit(secondFactor === 'missing' ? 'mfa_missing' : 'mfa_invalid', failures);
    return { outcome: 'failure', error: new AppError('POS_ERR_MFA_REQUIRED') };
  }

  await users.update(user.id, {
    status: 'active',
    failed_login_count: 0,
    locked_until: null,
    updated_at: now.toISOString(),
    ...(verification.needsRehash
      ? { password_hash: await context.auth.hasher.hash(input.password) }
      : {}),
  });

  const session = await createSession(context, tx, user, origin);
  const pending = enrolmentPending(context, user);
  const tokens = await issueSessionTokens(context, user, session, pending);

  await context.audit.record(tx, {
    type: 'login_success',
    action: 'auth.login',
    outcome: 'success',
    restaurantId: restaurant.id,
    actor,
    source,
    resource: { type: 'session', id: session.sessionId },
    details: {
      mfa: secondFactor === 'verified',
      enrolmentPending: pending,
      rehashed: verification.needsRehash,
    },
  });
  return { outcome: 'success', tokens };
}

/**
 * Counts a failed attempt; at the threshold the account locks for the configured time, its
 * sessions end and the lockout is audited. Returns the consecutive failure count.
 */
async function recordFailure(
  context: AppContext,
  tx: Executor,
  users: UsersRepository,
  user: UserRow,
  priorFailures: number,
): Promise<number> {
  const { lockoutThreshold, lockoutMinutes } = context.config.auth;
  const failures = priorFailures + 1;
  const now = context.clock.now();

  if (failures < lockoutThreshold) {
    await users.update(user.id, { failed_login_count: failures, updated_at: now.toISOString() });
    return failures;
  }

  await users.update(user.id, {
    failed_login_count: failures,
    status: 'locked',
    locked_until: new Date(now.getTime() + lockoutMinutes * 60_000).toISOString(),
    updated_at: now.toISOString(),
  });
  await revokeUserSessions(context, tx, user.id, 'lockout');
  await context.audit.record(tx, {
    type: 'account_lockout',
    action: 'auth.lockout',
    outcome: 'success',
    restaurantId: user.restaurant_id,
    actor: { type: 'system' },
    resource: { type: 'user', id: user.id },
    details: { failures, lockedMinutes: lockoutMinutes },
    risk: { repeatedFailures: failures },
  });
  return failures;
}
