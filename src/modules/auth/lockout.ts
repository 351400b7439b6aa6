import type { AppContext } from '../../app/context.js';
import type { Executor } from '../../infra/db/database.js';
import type { UserRow, UsersRepository } from '../users/repository.js';
import { revokeUserSessions } from './sessions.js';

/** Whether an account may try to authenticate at all right now. */
export type LockoutState = 'open' | 'locked' | 'disabled';

/**
 * A locked account stays locked until its time runs out or an admin unlocks it. A lock whose
 * time has run out is open again, and its count starts afresh (see `recordFailure`).
 */
export function lockoutState(user: UserRow, now: Date): LockoutState {
  if (user.status === 'disabled') return 'disabled';
  if (user.status !== 'locked') return 'open';
  return user.locked_until === null || user.locked_until > now.toISOString() ? 'locked' : 'open';
}

/**
 * Counts one failed proof of identity (a wrong password or second factor, at login or when a
 * manager approves on a terminal: both guess the same password). At the threshold the account
 * locks for the configured time, its sessions end and the lockout is audited. Returns the
 * consecutive failure count. On PostgreSQL the caller must hold the user's row lock, so that
 * concurrent failures cannot both read the same count.
 */
export async function recordFailure(
  context: AppContext,
  tx: Executor,
  users: UsersRepository,
  user: UserRow,
): Promise<number> {
  const { lockoutThreshold, lockoutMinutes } = context.config.auth;
  const now = context.clock.now();
  // Only reached when the account is open: a `locked` status here is a lock that has run out.
  const priorFailures = user.status === 'locked' ? 0 : user.failed_login_count;
  const failures = priorFailures + 1;

  if (failures < lockoutThreshold) {
    await users.update(user.id, {
      failed_login_count: failures,
      status: 'active',
      locked_until: null,
      updated_at: now.toISOString(),
    });
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

/** A successful proof of identity: the count starts again and a run-out lock is lifted. */
export async function clearFailures(
  context: AppContext,
  users: UsersRepository,
  user: UserRow,
): Promise<void> {
  if (user.status === 'active' && user.failed_login_count === 0) return;
  await users.update(user.id, {
    status: 'active',
    failed_login_count: 0,
    locked_until: null,
    updated_at: context.clock.now().toISOString(),
  });
}
