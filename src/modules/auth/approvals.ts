import type { AppContext } from '../../app/context.js';
import { AppError } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import { hashToken, randomToken } from '../../security/crypto/index.js';
import { UsersRepository } from '../users/repository.js';
import { normalizeUsername } from '../users/service.js';
import { clearFailures, lockoutState, recordFailure } from './lockout.js';
import { verifySecondFactor } from './mfa.js';
import { enrolmentPending } from './tokens.js';

/** The actions a manager can approve on a terminal (SPEC section 4). */
export const APPROVAL_ACTIONS = ['refund', 'void', 'discount', 'withdrawal'] as const;
export type ApprovalAction = (typeof APPROVAL_ACTIONS)[number];

const APPROVER_ROLES = new Set(['manager', 'admin']);

export interface ApprovalRequest {
  username: string;
  password: string;
  totp?: string;
  action: ApprovalAction;
  resourceId: string;
  amountCents: number;
}

export interface GrantedApproval {
  approvalToken: string;
  action: ApprovalAction;
  resourceId: string;
  maxAmountCents: number;
  expiresAt: string;
}

/**
 * A manager authenticates on the operator's terminal (password, and TOTP when enrolled) and the
 * server issues a single-use approval bound to one action, one resource and a maximum amount.
 * Failures look like login failures; a wrong password or code counts toward the manager's
 * lockout exactly as at login.
 */
export async function grantApproval(
  context: AppContext,
  requester: Principal,
  request: ApprovalRequest,
  source: RequestSource,
): Promise<GrantedApproval> {
  // Looked up and hashed before the transaction, as at login, so argon2 holds no connection.
  const candidate = await new UsersRepository(
    context.database.kysely,
    requester.restaurantId,
  ).findByUsername(normalizeUsername(request.username));
  // The same hashing work whether or not the name exists.
  const verified = candidate
    ? await context.auth.hasher.verify(candidate.password_hash, request.password)
    : (await context.auth.hasher.burn(request.password), { ok: false });

  const outcome = await inTransaction(context.database, async (tx) => {
    const users = new UsersRepository(tx, requester.restaurantId);
    const approver = candidate
      ? await users.findByIdForUpdate(candidate.id, context.database.dialect === 'postgres')
      : null;
    const passwordMatches = verified.ok && approver?.password_hash === candidate?.password_hash;

    const refuse = async (reason: string, countsAsFailure = false) => {
      const failures =
        approver && countsAsFailure ? await recordFailure(context, tx, users, approver) : 0;
      await context.audit.record(tx, {
        type: 'login_failure',
        action: 'auth.approval',
        outcome: 'failure',
        restaurantId: requester.restaurantId,
        actor: actorOf(requester),
        source,
        resource: { type: request.action, id: request.resourceId },
        details: { reason, approverId: approver?.id ?? null },
        risk: { repeatedFailures: failures },
      });
      return null;
    };

    if (!approver) return refuse('unknown_account');
    if (lockoutState(approver, context.clock.now()) !== 'open') return refuse('locked_or_disabled');
    if (!passwordMatches) return refuse('bad_password', true);
    if (!APPROVER_ROLES.has(approver.role)) return refuse('not_a_manager');
    // A manager who still owes an enrolment or a password change cannot use the API either.
    if (enrolmentPending(context, approver)) return refuse('mfa_enrolment_pending');
    if (approver.must_change_password === 1) return refuse('password_change_pending');
    const second = await verifySecondFactor(context, tx, users, approver, {
      ...(request.totp ? { totp: request.totp } : {}),
    });
    if (second === 'missing') return refuse('mfa_missing');
    if (second === 'invalid') return refuse('mfa_invalid', true);
    await clearFailures(context, users, approver);

    const token = randomToken(32);
    const now = context.clock.now();
    const expiresAt = new Date(now.getTime() + context.config.auth.approvalTtlSeconds * 1000);
    const id = context.ids();
    await tx
      .insertInto('approvals')
      .values({
        id,
        restaurant_id: requester.restaurantId,
        approver_id: approver.id,
        requested_by: requester.id,
        action: request.action,
        resource_id: request.resourceId,
        max_amount_cents: request.amountCents,
        token_hash: hashToken(token),
        expires_at: expiresAt.toISOString(),
        used_at: null,
        created_at: now.toISOString(),
      })
      .execute();
    await context.audit.record(tx, {
      type: 'data_modification',
      action: 'auth.approval_grant',
      outcome: 'success',
      restaurantId: requester.restaurantId,
      actor: { type: 'user', id: approver.id, role: approver.role },
      source,
      resource: { type: request.action, id: request.resourceId },
      details: { approvalId: id, requestedBy: requester.id, maxAmountCents: request.amountCents },
    });
    return {
      approvalToken: token,
      action: request.action,
      resourceId: request.resourceId,
      maxAmountCents: request.amountCents,
      expiresAt: expiresAt.toISOString(),
    };
  });

  if (!outcome) throw new AppError('POS_ERR_UNAUTHENTICATED');
  return outcome;
}

/**
 * Consumes an approval inside the action's own transaction: it must belong to the restaurant,
 * name this action and resource, cover the amount, be unexpired and unused. The conditional
 * update makes it single-use even under concurrent requests. Returns the approving manager's id.
 */
export async function consumeApproval(
  context: AppContext,
  tx: Executor,
  check: {
    restaurantId: RestaurantId;
    token: string;
    action: ApprovalAction;
    resourceId: string;
    amountCents: number;
  },
): Promise<string> {
  const invalid = () => new AppError('POS_ERR_APPROVAL_INVALID');
  const now = context.clock.now().toISOString();
  const approval = await tx
    .selectFrom('approvals')
    .selectAll()
    .where('token_hash', '=', hashToken(check.token))
    .where('restaurant_id', '=', check.restaurantId)
    .executeTakeFirst();

  if (!approval) throw invalid();
  if (approval.used_at !== null) throw invalid();
  if (approval.expires_at <= now) throw invalid();
  if (approval.action !== check.action) throw invalid();
  if (approval.resource_id !== check.resourceId) throw invalid();
  if (check.amountCents > approval.max_amount_cents) throw invalid();

  const claimed = await tx
    .updateTable('approvals')
    .set({ used_at: now })
    .where('id', '=', approval.id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) throw invalid();
  return approval.approver_id;
}
