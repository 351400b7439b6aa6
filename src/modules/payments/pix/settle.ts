import type { AppContext } from '../../../app/context.js';
import type { AuditActor } from '../../../audit/events.js';
import { AppError, conflict, notFound } from '../../../core/errors.js';
import { inTransaction } from '../../../infra/db/transaction.js';
import { trustedRestaurantId } from '../../../infra/db/tenant.js';
import type { Permission } from '../../../security/authz/permissions.js';
import { actorOf, type Principal, type RequestSource } from '../../../security/authz/principal.js';
import type { TransitionActor } from '../../orders/order-state.js';
import { withBalance } from '../capture.js';
import {
  assertPayable,
  assertWithinBalance,
  creditOrder,
  orderBalance,
  type OrderBalance,
} from '../ledger.js';
import {
  findPaymentByTxid,
  PaymentsRepository,
  type OrderRow,
  type PaymentRow,
} from '../repository.js';
import type { PaymentResult, PixWebhookBody, PixWebhookResult } from '../schemas.js';
import { toPaymentView } from '../views.js';

/** The actor of webhook-driven changes: the PIX provider, authenticated by its signature. */
const PIX_PROVIDER: AuditActor = { type: 'system', id: 'pix_webhook' };

/** The provider's signed notification takes the order's `payment` transition as a cashier would. */
const PIX_PROVIDER_ACTOR: TransitionActor = {
  role: null,
  permissions: new Set<Permission>(['payment.process']),
};

/** Money that arrived for a charge that can no longer be applied needs a person: alert. */
const UNAPPLIED_RISK_FLOOR = 8;

/**
 * The charge's order, locked, when it can still take the charge. The charge's own amount is among
 * the pending ones the balance holds back, so it is left out when checking that it still fits.
 */
async function capturableOrder(payments: PaymentsRepository, payment: PaymentRow) {
  const order = await payments.findOrderForUpdate(payment.order_id);
  if (!order) throw notFound();
  assertPayable(order);
  const otherPending = (await payments.pendingCents(order.id)) - payment.amount_cents;
  assertWithinBalance(order, otherPending, payment.amount_cents);
  return order;
}

/** Captures a pending PIX charge and credits its order. */
async function capturePending(
  payments: PaymentsRepository,
  payment: PaymentRow,
  order: OrderRow,
  capturer: Principal | null,
  now: string,
): Promise<{ payment: PaymentRow; order: OrderBalance }> {
  const captured = {
    status: 'captured' as const,
    captured_at: now,
    captured_by: capturer?.id ?? null,
  };
  if (!(await payments.transitionPayment(payment.id, 'pending', captured, now))) {
    throw conflict('The PIX charge is no longer pending.');
  }
  const after = await creditOrder(
    payments,
    order,
    payment.amount_cents,
    now,
    capturer ?? PIX_PROVIDER_ACTOR,
  );
  return { payment: { ...payment, ...captured, updated_at: now }, order: orderBalance(after) };
}

/** The cashier saw the PIX credit in the bank app and confirms the pending charge. */
export async function confirmPixPayment(
  context: AppContext,
  principal: Principal,
  paymentId: string,
  source: RequestSource,
): Promise<PaymentResult> {
  return inTransaction(context.database, async (tx) => {
    const lock = context.database.dialect === 'postgres';
    const payments = new PaymentsRepository(tx, principal.restaurantId, { lock });
    const payment = await payments.findPaymentForUpdate(paymentId);
    if (!payment) throw notFound();
    if (payment.method !== 'pix' || payment.status !== 'pending') {
      throw conflict('Only a pending PIX charge can be confirmed.');
    }

    const now = context.clock.now().toISOString();
    const order = await capturableOrder(payments, payment);
    const result = await capturePending(payments, payment, order, principal, now);
    await context.audit.record(tx, {
      type: 'payment_processed',
      action: 'payment.pix_confirm',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'payment', id: payment.id },
      details: {
        orderId: payment.order_id,
        amountCents: payment.amount_cents,
        via: 'cashier',
        orderStatus: result.order.status,
      },
    });
    return withBalance(toPaymentView(result.payment), result.order);
  });
}

/** Drops a pending PIX charge the customer will not pay, releasing its amount. */
export async function cancelPixPayment(
  context: AppContext,
  principal: Principal,
  paymentId: string,
  source: RequestSource,
): Promise<PaymentResult> {
  return inTransaction(context.database, async (tx) => {
    const lock = context.database.dialect === 'postgres';
    const payments = new PaymentsRepository(tx, principal.restaurantId, { lock });
    const payment = await payments.findPaymentForUpdate(paymentId);
    if (!payment) throw notFound();
    if (payment.method !== 'pix' || payment.status !== 'pending') {
      throw conflict('Only a pending PIX charge can be cancelled.');
    }

    const now = context.clock.now().toISOString();
    const cancelled = { status: 'cancelled' as const, cancelled_at: now };
    if (!(await payments.transitionPayment(payment.id, 'pending', cancelled, now))) {
      throw conflict('The PIX charge is no longer pending.');
    }
    const order = await payments.findOrderForUpdate(payment.order_id);
    if (!order) throw notFound();

    await context.audit.record(tx, {
      type: 'data_modification',
      action: 'payment.pix_cancel',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'payment', id: payment.id },
      details: { orderId: payment.order_id, amountCents: payment.amount_cents },
    });
    const view = toPaymentView({ ...payment, ...cancelled, updated_at: now });
    return withBalance(view, orderBalance(order));
  });
}

type WebhookOutcome =
  | { kind: 'done'; result: PixWebhookResult }
  | { kind: 'rejected'; reason: 'unknown_txid' | 'amount_mismatch'; payment: PaymentRow | null };

/**
 * Applies a verified PIX webhook: the provider says the charge `txid` was paid. Idempotent by
 * event id (a retried event answers `duplicate`) and by charge (a second event for a captured
 * charge answers `already_captured`). A charge that can no longer be applied (cancelled, or its
 * order closed) is recorded and raises an alert, because the money did arrive.
 */
export async function applyPixWebhook(
  context: AppContext,
  event: PixWebhookBody,
  source: RequestSource,
): Promise<PixWebhookResult> {
  const outcome = await inTransaction(context.database, async (tx): Promise<WebhookOutcome> => {
    const found = await findPaymentByTxid(tx, event.txid);
    if (!found || found.method !== 'pix') {
      return { kind: 'rejected', reason: 'unknown_txid', payment: null };
    }
    if (found.amount_cents !== event.amountCents) {
      return { kind: 'rejected', reason: 'amount_mismatch', payment: found };
    }

    const now = context.clock.now().toISOString();
    const restaurantId = trustedRestaurantId(found.restaurant_id);
    // The event row is the claim: a concurrent delivery of the same event waits on its key and
    // then finds it taken.
    const claimed = await tx
      .insertInto('pix_webhook_events')
      .values({
        event_id: event.eventId,
        restaurant_id: restaurantId,
        payment_id: found.id,
        outcome: 'processing',
        received_at: now,
      })
      .onConflict((oc) => oc.column('event_id').doNothing())
      .executeTakeFirst();
    if (Number(claimed.numInsertedOrUpdatedRows) !== 1) return done('duplicate');

    const lock = context.database.dialect === 'postgres';
    const payments = new PaymentsRepository(tx, restaurantId, { lock });
    const payment = await payments.findPaymentForUpdate(found.id);
    if (!payment) throw notFound();
    const settle = async (result: PixWebhookResult['status']) => {
      await tx
        .updateTable('pix_webhook_events')
        .set({ outcome: result })
        .where('event_id', '=', event.eventId)
        .execute();
      return done(result);
    };

    if (payment.status === 'captured') return settle('already_captured');

    const order = payment.status === 'pending' ? await orderIfCapturable(payments, payment) : null;
    if (!order) {
      await context.audit.record(tx, {
        type: 'payment_processed',
        action: 'payment.pix_unapplied',
        outcome: 'failure',
        restaurantId,
        actor: PIX_PROVIDER,
        source,
        resource: { type: 'payment', id: payment.id },
        details: {
          orderId: payment.order_id,
          amountCents: payment.amount_cents,
          paymentStatus: payment.status,
        },
        risk: { floor: UNAPPLIED_RISK_FLOOR },
      });
      return settle('not_applied');
    }

    const applied = await capturePending(payments, payment, order, null, now);
    await context.audit.record(tx, {
      type: 'payment_processed',
      action: 'payment.pix_confirm',
      outcome: 'success',
      restaurantId,
      actor: PIX_PROVIDER,
      source,
      resource: { type: 'payment', id: payment.id },
      details: {
        orderId: payment.order_id,
        amountCents: payment.amount_cents,
        via: 'webhook',
        orderStatus: applied.order.status,
      },
    });
    return settle('captured');
  });

  if (outcome.kind === 'done') return outcome.result;
  await recordWebhookRejection(context, outcome.reason, source, outcome.payment);
  throw outcome.reason === 'unknown_txid'
    ? new AppError('POS_ERR_NOT_FOUND')
    : new AppError('POS_ERR_UNPROCESSABLE');
}

/** The order when it can still take the charge; null when it cannot (nothing written yet). */
async function orderIfCapturable(payments: PaymentsRepository, payment: PaymentRow) {
  try {
    return await capturableOrder(payments, payment);
  } catch (error) {
    if (error instanceof AppError && error.statusCode === 409) return null;
    throw error;
  }
}

function done(status: PixWebhookResult['status']): WebhookOutcome {
  return { kind: 'done', result: { status } };
}

/**
 * A webhook that failed authentication or named no charge of ours: someone is probing or the
 * provider is misconfigured. Stored as a security alert, on the restaurant's chain when the
 * charge is known, else on the system chain.
 */
export async function recordWebhookRejection(
  context: AppContext,
  reason: string,
  source: RequestSource,
  payment: PaymentRow | null = null,
): Promise<void> {
  await inTransaction(context.database, (tx) =>
    context.audit.record(tx, {
      type: 'security_alert',
      action: 'webhook.pix_rejected',
      outcome: 'denied',
      restaurantId: payment ? trustedRestaurantId(payment.restaurant_id) : null,
      actor: { type: 'anonymous' },
      source,
      resource: { type: 'webhook', id: payment?.id ?? 'pix' },
      details: { reason },
      risk: { suspiciousPattern: true },
    }),
  );
}
