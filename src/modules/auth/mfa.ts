import { randomInt } from 'node:crypto';

import type { AppContext } from '../../app/context.js';
import { conflict, AppError } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import type { Principal } from '../../security/authz/principal.js';
import { blindIndex, decryptField, encryptField } from '../../security/crypto/index.js';
import { UsersRepository, type UserChanges, type UserRow } from '../users/repository.js';
import { matchTotp, newTotpSecret, totpUri } from './totp.js';

const MFA_SECRET_CONTEXT = 'users.mfa_secret';
const RECOVERY_CODE_COUNT = 10;
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** The factor that was accepted (`totp`, `recovery_code`), or why none was. */
export type SecondFactorResult = 'not_enrolled' | 'totp' | 'recovery_code' | 'missing' | 'invalid';

/**
 * Checks the second factor of a login when the user has one: a TOTP code newer than the last one
 * accepted, or an unused recovery code. Accepting either consumes it; the result names which.
 */
export async function verifySecondFactor(
  context: AppContext,
  tx: Executor,
  users: UsersRepository,
  user: UserRow,
  input: { totp?: string; recoveryCode?: string },
): Promise<SecondFactorResult> {
  if (!user.mfa_enabled || !user.mfa_secret) return 'not_enrolled';
  if (input.totp) {
    return (await consumeTotp(context, users, user, input.totp)) ? 'totp' : 'invalid';
  }
  if (input.recoveryCode) {
    return (await consumeRecoveryCode(context, tx, user, input.recoveryCode))
      ? 'recovery_code'
      : 'invalid';
  }
  return 'missing';
}

/** Accepts a code once: its time step must be newer than the last accepted step. */
export async function consumeTotp(
  context: AppContext,
  users: UsersRepository,
  user: UserRow,
  code: string,
): Promise<boolean> {
  if (!user.mfa_secret) return false;
  const secret = decryptField(context.keyRing, user.mfa_secret, MFA_SECRET_CONTEXT);
  const step = matchTotp(secret, code, context.clock);
  if (step === null) return false;
  if (user.mfa_last_step !== null && step <= user.mfa_last_step) return false;

  return users.claimTotpStep(user.id, step);
}

function recoveryCodeHash(context: AppContext, code: string): string {
  // Keyed so that a stolen table cannot be brute-forced offline without the master key.
  return blindIndex(context.keys.blindIndexKey, 'mfa_recovery_code', code.replace(/-/g, ''));
}

async function consumeRecoveryCode(
  context: AppContext,
  tx: Executor,
  user: UserRow,
  code: string,
): Promise<boolean> {
  const result = await tx
    .updateTable('mfa_recovery_codes')
    .set({ used_at: context.clock.now().toISOString() })
    .where('user_id', '=', user.id)
    .where('code_hash', '=', recoveryCodeHash(context, code.trim().toLowerCase()))
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Starts TOTP enrolment: a new secret, stored encrypted, returned once for the authenticator app.
 * Enrolment completes only when a code from it is verified.
 */
export async function startEnrolment(
  context: AppContext,
  principal: Principal,
): Promise<{ secret: string; otpauthUri: string }> {
  return inTransaction(context.database, async (tx) => {
    const users = new UsersRepository(tx, principal.restaurantId);
    const user = await users.findById(principal.id);
    if (!user) throw new AppError('POS_ERR_UNAUTHENTICATED');
    if (user.mfa_enabled) throw conflict('A second factor is already enrolled.');

    const secret = newTotpSecret();
    await users.update(user.id, {
      mfa_secret: encryptField(context.keyRing, secret, MFA_SECRET_CONTEXT),
      mfa_last_step: null,
      updated_at: context.clock.now().toISOString(),
    });
    return { secret, otpauthUri: totpUri(secret, 'Chefia POS', user.username) };
  });
}

/**
 * Completes enrolment with a code from the new secret and returns ten single-use recovery codes,
 * shown only this once and stored hashed.
 */
export async function confirmEnrolment(
  context: AppContext,
  principal: Principal,
  code: string,
  source: { ip: string; requestId: string },
): Promise<{ recoveryCodes: string[]; user: UserRow }> {
  return inTransaction(context.database, async (tx) => {
    const users = new UsersRepository(tx, principal.restaurantId);
    const user = await users.findById(principal.id);
    if (!user?.mfa_secret) throw conflict('Start enrolment first.');
    if (user.mfa_enabled) throw conflict('A second factor is already enrolled.');
    if (!(await consumeTotp(context, users, user, code))) {
      throw new AppError('POS_ERR_MFA_REQUIRED');
    }

    await users.update(user.id, { mfa_enabled: 1, updated_at: context.clock.now().toISOString() });
    const recoveryCodes = await replaceRecoveryCodes(context, tx, user.id);
    await context.audit.record(tx, {
      type: 'configuration_change',
      action: 'auth.mfa.enable',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: { type: 'user', id: user.id, role: user.role },
      source,
      resource: { type: 'user', id: user.id },
    });
    return { recoveryCodes, user: { ...user, mfa_enabled: 1 } };
  });
}

/**
 * Removes a user's second factor (a lost phone): the secret, the last accepted step and every
 * recovery code, so a role that requires one must enrol again. Returns the columns it changed;
 * the caller ends the sessions.
 */
export async function clearSecondFactor(
  context: AppContext,
  tx: Executor,
  users: UsersRepository,
  userId: string,
) {
  const changes = {
    mfa_secret: null,
    mfa_enabled: 0,
    mfa_last_step: null,
    updated_at: context.clock.now().toISOString(),
  } satisfies UserChanges;
  await users.update(userId, changes);
  await tx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
  return changes;
}

async function replaceRecoveryCodes(
  context: AppContext,
  tx: Executor,
  userId: string,
): Promise<string[]> {
  await tx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode());
  const now = context.clock.now().toISOString();
  await tx
    .insertInto('mfa_recovery_codes')
    .values(
      codes.map((code) => ({
        id: context.ids(),
        user_id: userId,
        code_hash: recoveryCodeHash(context, code),
        used_at: null,
        created_at: now,
      })),
    )
    .execute();
  return codes;
}

/** Ten characters from an unambiguous alphabet (about 49 bits), shown as `xxxxx-xxxxx`. */
function newRecoveryCode(): string {
  const chars = Array.from(
    { length: 10 },
    () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)],
  );
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}
