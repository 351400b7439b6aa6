import type { AppContext } from '../../app/context.js';
import { AppError, notFound } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import { consumeApproval } from '../auth/approvals.js';
import {
  CashierRepository,
  expectedCash,
  type CashierMovementRow,
  type CashierSessionRow,
  type DrawerFlows,
} from './repository.js';
import type {
  CloseSessionBody,
  DepositBody,
  MovementView,
  OpenSessionBody,
  SessionView,
  WithdrawalBody,
} from './schemas.js';

/** Roles that supervise every drawer of their restaurant and withdraw above the limit alone. */
const SUPERVISOR_ROLES = new Set(['manager', 'admin']);

export function isSupervisor(principal: Principal): boolean {
  return principal.role !== null && SUPERVISOR_ROLES.has(principal.role);
}

export function toSessionView(session: CashierSessionRow, flows: DrawerFlows): SessionView {
  return {
    id: session.id,
    terminalId: session.terminal_id,
    operatorId: session.operator_id,
    status: session.status,
    openingFloatCents: session.opening_float_cents,
    ...flows,
    expectedCents: session.expected_cents ?? expectedCash(session, flows),
    countedCents: session.counted_cents,
    differenceCents: session.difference_cents,
    openedAt: session.opened_at,
    closedAt: session.closed_at,
    closedBy: session.closed_by,
  };
}

/**
 * The operator's open drawer session, locked on PostgreSQL so a concurrent close waits for the
 * cash sale or refund being written. Cash never moves without one.
 */
export async function requireOpenSession(
  context: AppContext,
  tx: Executor,
  restaurantId: RestaurantId,
  operatorId: string,
): Promise<CashierSessionRow> {
  const cashier = new CashierRepository(tx, restaurantId);
  const session = await cashier.findOpenSessionOf(
    operatorId,
    context.database.dialect === 'postgres',
  );
  if (!session) throw new AppError('POS_ERR_CASHIER_SESSION_REQUIRED');
  return session;
}

/**
 * Opens a drawer for the signed-in operator on a terminal with its opening float. A drawer is a
 * person's accountability: one open session per operator and one per terminal (the partial unique
 * indexes settle races), and API keys cannot hold one.
 */
export async function openSession(
  context: AppContext,
  principal: Principal,
  input: OpenSessionBody,
  source: RequestSource,
): Promise<SessionView> {
  if (principal.kind !== 'user') throw new AppError('POS_ERR_FORBIDDEN');

  try {
    return await inTransaction(context.database, async (tx) => {
      const cashier = new CashierRepository(tx, principal.restaurantId);
      if (await cashier.hasOpenSessionFor(principal.id, input.terminalId)) throw alreadyOpen();

      const session = await cashier.insertSession({
        id: context.ids(),
        operator_id: principal.id,
        terminal_id: input.terminalId,
        status: 'open',
        opening_float_cents: input.openingFloatCents,
        expected_cents: null,
        counted_cents: null,
        difference_cents: null,
        opened_at: context.clock.now().toISOString(),
        closed_at: null,
        closed_by: null,
      });
      await context.audit.record(tx, {
        type: 'object_created',
        action: 'cashier.session_open',
        outcome: 'success',
        restaurantId: principal.restaurantId,
        actor: actorOf(principal),
        source,
        resource: { type: 'cashier_session', id: session.id },
        details: { terminalId: session.terminal_id, openingFloatCents: input.openingFloatCents },
      });
      return toSessionView(session, noFlows());
    });
  } catch (error) {
    // A concurrent open got past the check above; the unique index refused the second row.
    if (isUniqueViolation(error)) throw alreadyOpen();
    throw error;
  }
}

export async function getSession(
  context: AppContext,
  principal: Principal,
  sessionId: string,
): Promise<SessionView> {
  const cashier = new CashierRepository(context.database.kysely, principal.restaurantId);
  const session = await cashier.findSession(sessionId);
  if (!session) throw notFound();
  assertMayOperate(principal, session);
  return toSessionView(session, await cashier.flows(session.id));
}

/**
 * Takes cash out of an open drawer. Above CHEFIA_CASH_WITHDRAWAL_APPROVAL_CENTS an operator who is
 * not a manager needs a manager approval for this session and amount, consumed here; nobody can
 * take out more cash than the drawer should hold.
 */
export async function recordWithdrawal(
  context: AppContext,
  principal: Principal,
  sessionId: string,
  input: WithdrawalBody,
  source: RequestSource,
): Promise<MovementView> {
  return inTransaction(context.database, async (tx) => {
    const { cashier, session, flows } = await lockOpenSession(context, tx, principal, sessionId);

    if (input.amountCents > expectedCash(session, flows)) {
      throw new AppError('POS_ERR_AMOUNT_EXCEEDS_BALANCE');
    }

    const aboveLimit = input.amountCents > context.config.payments.cashWithdrawalApprovalCents;
    let approvedBy: string | null = null;
    if (aboveLimit && !isSupervisor(principal)) {
      if (!input.approvalToken) throw new AppError('POS_ERR_APPROVAL_INVALID');
      approvedBy = await consumeApproval(context, tx, {
        restaurantId: principal.restaurantId,
        token: input.approvalToken,
        action: 'withdrawal',
        resourceId: session.id,
        amountCents: input.amountCents,
      });
    }

    const movement = await insertMovement(context, cashier, principal, session, {
      kind: 'withdrawal',
      amountCents: input.amountCents,
      reason: input.reason,
      approvedBy,
    });
    await context.audit.record(tx, {
      type: 'data_modification',
      action: 'cashier.withdrawal',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'cashier_session', id: session.id },
      details: { movementId: movement.id, amountCents: input.amountCents, aboveLimit, approvedBy },
      // Cash leaving above the limit is what a skimming operator would do; keep it visible.
      ...(aboveLimit ? { risk: { floor: 6 } } : {}),
    });
    return toMovementView(movement, session, withMovement(flows, movement));
  });
}

/** Puts cash into an open drawer (change top-up). */
export async function recordDeposit(
  context: AppContext,
  principal: Principal,
  sessionId: string,
  input: DepositBody,
  source: RequestSource,
): Promise<MovementView> {
  return inTransaction(context.database, async (tx) => {
    const { cashier, session, flows } = await lockOpenSession(context, tx, principal, sessionId);

    const movement = await insertMovement(context, cashier, principal, session, {
      kind: 'deposit',
      amountCents: input.amountCents,
      reason: input.reason,
      approvedBy: null,
    });
    await context.audit.record(tx, {
      type: 'data_modification',
      action: 'cashier.deposit',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'cashier_session', id: session.id },
      details: { movementId: movement.id, amountCents: input.amountCents },
    });
    return toMovementView(movement, session, withMovement(flows, movement));
  });
}

/**
 * Closes a drawer with the cash counted in it, fixing the expected amount (float plus net cash
 * in) and the difference. The session row is locked first, so a cash payment being written to it
 * either commits before the sums are taken or finds the session closed.
 */
export async function closeSession(
  context: AppContext,
  principal: Principal,
  sessionId: string,
  input: CloseSessionBody,
  source: RequestSource,
): Promise<SessionView> {
  return inTransaction(context.database, async (tx) => {
    const { cashier, session, flows } = await lockOpenSession(context, tx, principal, sessionId);

    const expected = expectedCash(session, flows);
    const figures = {
      expected_cents: expected,
      counted_cents: input.countedCents,
      difference_cents: input.countedCents - expected,
      closed_at: context.clock.now().toISOString(),
      closed_by: principal.id,
    };
    if (!(await cashier.close(session.id, figures))) throw notOpen();

    await context.audit.record(tx, {
      type: 'data_modification',
      action: 'cashier.session_close',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'cashier_session', id: session.id },
      details: {
        expectedCents: figures.expected_cents,
        countedCents: figures.counted_cents,
        differenceCents: figures.difference_cents,
      },
      ...(figures.difference_cents !== 0 ? { risk: { floor: 5 } } : {}),
    });
    return toSessionView({ ...session, ...figures, status: 'closed' }, flows);
  });
}

async function lockOpenSession(
  context: AppContext,
  tx: Executor,
  principal: Principal,
  sessionId: string,
): Promise<{ cashier: CashierRepository; session: CashierSessionRow; flows: DrawerFlows }> {
  const cashier = new CashierRepository(tx, principal.restaurantId);
  const session = await cashier.findSession(sessionId, context.database.dialect === 'postgres');
  if (!session) throw notFound();
  assertMayOperate(principal, session);
  if (session.status !== 'open') throw notOpen();
  return { cashier, session, flows: await cashier.flows(session.id) };
}

/** The drawer's operator works it; managers and admins supervise every drawer. */
function assertMayOperate(principal: Principal, session: CashierSessionRow): void {
  if (session.operator_id === principal.id || isSupervisor(principal)) return;
  throw new AppError('POS_ERR_FORBIDDEN');
}

async function insertMovement(
  context: AppContext,
  cashier: CashierRepository,
  principal: Principal,
  session: CashierSessionRow,
  movement: Pick<CashierMovementRow, 'kind' | 'reason'> & {
    amountCents: number;
    approvedBy: string | null;
  },
): Promise<CashierMovementRow> {
  return cashier.insertMovement({
    id: context.ids(),
    session_id: session.id,
    kind: movement.kind,
    amount_cents: movement.amountCents,
    reason: movement.reason.trim(),
    performed_by: principal.id,
    approved_by: movement.approvedBy,
    created_at: context.clock.now().toISOString(),
  });
}

function withMovement(flows: DrawerFlows, movement: CashierMovementRow): DrawerFlows {
  return movement.kind === 'deposit'
    ? { ...flows, depositsCents: flows.depositsCents + movement.amount_cents }
    : { ...flows, withdrawalsCents: flows.withdrawalsCents + movement.amount_cents };
}

function toMovementView(
  movement: CashierMovementRow,
  session: CashierSessionRow,
  flows: DrawerFlows,
): MovementView {
  return {
    id: movement.id,
    sessionId: movement.session_id,
    kind: movement.kind,
    amountCents: movement.amount_cents,
    reason: movement.reason,
    performedBy: movement.performed_by,
    approvedBy: movement.approved_by,
    createdAt: movement.created_at,
    session: toSessionView(session, flows),
  };
}

function noFlows(): DrawerFlows {
  return { cashSalesCents: 0, cashRefundsCents: 0, depositsCents: 0, withdrawalsCents: 0 };
}

function alreadyOpen(): AppError {
  return new AppError('POS_ERR_CONFLICT', {
    message: 'The operator or the terminal already has an open cash drawer session.',
  });
}

function notOpen(): AppError {
  return new AppError('POS_ERR_CONFLICT', { message: 'The cash drawer session is closed.' });
}

/** SQLite and PostgreSQL report a unique-index violation differently. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
