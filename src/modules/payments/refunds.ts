import type { AppContext } from '../../app/context.js';
import { AppError, conflict, notFound } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import type { Permission } from '../../security/authz/permissions.js';
import {
  actorOf,
  hasPermission,
  type Principal,
  type RequestSource,
} from '../../security/authz/principal.js';
import { consumeApproval } from '../auth/approvals.js';
import { requireOpenSession } from '../cashier/service.js';
import type { TransitionActor } from '../orders/order-state.js';
import { debitOrder, orderBalance } from './ledger.js';
import { PaymentsRepository } from './repository.js';
import type { RefundBody, RefundView } from './schemas.js';
import { toRefundView } from './views.js';

/** Refunds are what a fraudulent insider does; every one raises an alert (risk above 7). */
export const REFUND_RISK_FLOOR = 8;

/**
 * Refunds part or all of a captured payment, inside `tx` (the idempotency transaction). The
 * caller needs `payment.refund`, or a manager approval for this payment and amount. The payment
 * row is locked first (PostgreSQL), so concurrent refunds queue and the sum of refunds never
 * exceeds the payment; the conditional update and the table's CHECK constraint back that up. A
 * cash refund is paid out of the refunding operator's open drawer.
 */
export async function refundPayment(
  context: AppContext,
  tx: Executor,
  principal: Principal,
  paymentId: string,
  input: RefundBody,
  source: RequestSource,
): Promise<RefundView> {
  const lock = context.database.dialect === 'postgres';
  const payments = new PaymentsRepository(tx, principal.restaurantId, { lock });
  const payment = await payments.findPaymentForUpdate(paymentId);
  if (!payment) throw notFound();
  if (payment.status !== 'captured') throw conflict('Only a captured payment can be refunded.');

  let approvedBy: string | null = null;
  if (!hasPermission(principal, 'payment.refund')) {
    if (!input.approvalToken) throw new AppError('POS_ERR_APPROVAL_INVALID');
    approvedBy = await consumeApproval(context, tx, {
      restaurantId: principal.restaurantId,
      token: input.approvalToken,
      action: 'refund',
      resourceId: payment.id,
      amountCents: input.amountCents,
    });
  }

  if (input.amountCents > payment.amount_cents - payment.refunded_cents) {
    throw new AppError('POS_ERR_AMOUNT_EXCEEDS_BALANCE');
  }

  const order = await payments.findOrderForUpdate(payment.order_id);
  if (!order) throw notFound();
  const session =
    payment.method === 'cash'
      ? await requireOpenSession(context, tx, principal.restaurantId, principal.id)
      : null;

  const now = context.clock.now().toISOString();
  const refund = await payments.insertRefund({
    id: context.ids(),
    payment_id: payment.id,
    order_id: order.id,
    amount_cents: input.amountCents,
    reason: input.reason.trim(),
    cashier_session_id: session?.id ?? null,
    created_by: principal.id,
    approved_by: approvedBy,
    created_at: now,
  });
  if (!(await payments.addRefunded(payment, input.amountCents, now))) {
    throw conflict('The payment changed while the refund was written; retry.');
  }
  // A manager approval stands in for `payment.refund` for this one refund, transition included.
  const actor: TransitionActor = approvedBy
    ? {
        role: principal.role,
        permissions: new Set<Permission>([...principal.permissions, 'payment.refund']),
      }
    : principal;
  const after = await debitOrder(payments, order, input.amountCents, now, actor);
  const refunded = payment.refunded_cents + input.amountCents;

  await context.audit.record(tx, {
    type: 'payment_processed',
    action: 'payment.refund',
    outcome: 'success',
    restaurantId: principal.restaurantId,
    actor: actorOf(principal),
    source,
    resource: { type: 'payment', id: payment.id },
    details: {
      refundId: refund.id,
      orderId: order.id,
      amountCents: input.amountCents,
      refundedCents: refunded,
      approvedBy,
      orderStatus: after.status,
    },
    risk: { floor: REFUND_RISK_FLOOR },
  });
  return toRefundView(
    refund,
    { ...payment, refunded_cents: refunded, updated_at: now },
    orderBalance(after),
  );
}

/**
 * The audit entry of a refund that was refused: it outlives the rolled-back attempt. A refusal
 * for want of permission or approval is a denial and scores as one.
 */
export async function recordRefusedRefund(
  context: AppContext,
  tx: Executor,
  principal: Principal,
  paymentId: string,
  input: RefundBody,
  error: AppError,
  source: RequestSource,
): Promise<void> {
  const denied = error.statusCode === 403;
  await context.audit.record(tx, {
    type: denied ? 'permission_denied' : 'payment_processed',
    action: 'payment.refund',
    outcome: denied ? 'denied' : 'failure',
    restaurantId: principal.restaurantId,
    actor: actorOf(principal),
    source,
    resource: { type: 'payment', id: paymentId },
    details: { reason: error.code, amountCents: input.amountCents },
  });
}
