import type { AppContext } from '../../app/context.js';
import type { AuditActor } from '../../audit/events.js';
import { AppError } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { RestaurantsRepository, type Restaurant } from '../restaurants/repository.js';
import { UsersRepository, type UserRow } from '../users/repository.js';
import { normalizeUsername } from '../users/service.js';
import { lockoutState, recordFailure } from './lockout.js';
import { verifySecondFactor } from './mfa.js';
import { createSession, type IssuedSession, type SessionOrigin } from './sessions.js';
import { enrolmentPending, issueSessionTokens, type SessionTokens } from './tokens.js';

export interface LoginInput {
  restaurant: string;
  username: string;
  password: string;
  totp?: string;
  recoveryCode?: string;
}

type Origin = SessionOrigin & { requestId: string };

type Attempt =
  | { outcome: 'success'; user: UserRow; session: IssuedSession; enrolmentPending: boolean }
  | { outcome: 'failure'; error: AppError };

const failed = (): Attempt => ({
  outcome: 'failure',
  error: new AppError('POS_ERR_UNAUTHENTICATED'),
});

/** What was learnt about the password before the transaction opened. */
interface PasswordCheck {
  /** The account the name pointed to when it was checked, or null for an unknown name. */
  candidate: UserRow | null;
  ok: boolean;
  /** A fresh argon2id hash when the stored one is legacy and the password matched. */
  upgradedHash: string | null;
}

/**
 * Signs a user in. Unknown restaurant, unknown user, wrong password, locked and disabled accounts
 * all fail with the same error, and all do the same password-hashing work: an unknown user's
 * attempt is checked against a dummy hash so that timing does not reveal which names exist.
 *
 * The hashing runs before the transaction opens: argon2 takes tens of milliseconds, and a
 * transaction held meanwhile would pin a database connection (SQLite has only one) so that a
 * login storm would queue every other request behind it.
 */
export async function login(
  context: AppContext,
  input: LoginInput,
  origin: Origin,
): Promise<SessionTokens> {
  const restaurant = await new RestaurantsRepository(context.database.kysely).findBySlug(
    input.restaurant,
  );
  const check = await checkPassword(context, restaurant, input);

  const attempt = await inTransaction(context.database, (tx) =>
    settleAttempt(context, tx, restaurant, check, input, origin),
  );
  if (attempt.outcome === 'failure') throw attempt.error;
  // Signed after the commit: the signature runs on the thread pool, and waiting for it inside
  // the transaction would hold the connection for nothing.
  return issueSessionTokens(context, attempt.user, attempt.session, attempt.enrolmentPending);
}

async function checkPassword(
  context: AppContext,
  restaurant: Restaurant | null,
  input: LoginInput,
): Promise<PasswordCheck> {
  const candidate = restaurant
    ? await new UsersRepository(context.database.kysely, restaurant.id).findByUsername(
        normalizeUsername(input.username),
      )
    : null;
  if (!candidate) {
    await context.auth.hasher.burn(input.password);
    return { candidate: null, ok: false, upgradedHash: null };
  }

  const verification = await context.auth.hasher.verify(candidate.password_hash, input.password);
  const upgradedHash =
    verification.ok && verification.needsRehash
      ? await context.auth.hasher.hash(input.password)
      : null;
  return { candidate, ok: verification.ok, upgradedHash };
}

async function settleAttempt(
  context: AppContext,
  tx: Executor,
  restaurant: Restaurant | null,
  check: PasswordCheck,
  input: LoginInput,
  origin: Origin,
): Promise<Attempt> {
  const source = { ip: origin.ip, requestId: origin.requestId };
  const users = restaurant ? new UsersRepository(tx, restaurant.id) : null;
  // Read again under the row lock (PostgreSQL): the lockout state and failure count that count
  // are the ones of this moment, and concurrent attempts on one account take turns.
  const user =
    users && check.candidate
      ? await users.findByIdForUpdate(check.candidate.id, context.database.dialect === 'postgres')
      : null;

  if (!restaurant || !users || !user) {
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

  const state = lockoutState(user, context.clock.now());
  if (state !== 'open') {
    await audit(state);
    return failed();
  }

  // A password changed since it was checked is judged against the new one: not a match.
  const passwordMatches = check.ok && user.password_hash === check.candidate?.password_hash;
  if (!passwordMatches) {
    const failures = await recordFailure(context, tx, users, user);
    await audit('bad_password', failures);
    return failed();
  }

  const secondFactor = await verifySecondFactor(context, tx, users, user, input);
  if (secondFactor === 'missing') {
    await audit('mfa_missing');
    return { outcome: 'failure', error: new AppError('POS_ERR_MFA_REQUIRED') };
  }
  if (secondFactor === 'invalid') {
    const failures = await recordFailure(context, tx, users, user);
    await audit('mfa_invalid', failures);
    return { outcome: 'failure', error: new AppError('POS_ERR_MFA_REQUIRED') };
  }

  await users.update(user.id, {
    status: 'active',
    failed_login_count: 0,
    locked_until: null,
    updated_at: context.clock.now().toISOString(),
    ...(check.upgradedHash ? { password_hash: check.upgradedHash } : {}),
  });

  const session = await createSession(context, tx, user, origin);
  const pending = enrolmentPending(context, user);
  const factor = secondFactor === 'totp' || secondFactor === 'recovery_code' ? secondFactor : null;

  await context.audit.record(tx, {
    type: 'login_success',
    action: 'auth.login',
    outcome: 'success',
    restaurantId: restaurant.id,
    actor,
    source,
    resource: { type: 'session', id: session.sessionId },
    details: {
      mfa: factor !== null,
      // A recovery-code login is worth telling apart: the user has lost their authenticator.
      ...(factor ? { mfaFactor: factor } : {}),
      enrolmentPending: pending,
      rehashed: check.upgradedHash !== null,
    },
  });
  return { outcome: 'success', user, session, enrolmentPending: pending };
}
