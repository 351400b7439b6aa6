import { AppError, conflict } from '../../core/errors.js';
import type { OrderStatus } from '../../infra/db/schema.js';
import { assertTransition, type TransitionActor } from '../orders/order-state.js';
import type { OrderRow, PaymentsRepository } from './repository.js';

/*
 * The payment side of an order. `orders.paid_cents` is the net of captured payments minus refunds,
 * and only these two functions change it, inside the transaction that writes the payment or the
 * refund (the contract with the orders module, docs/orders.md):
 * - a capture that covers the total moves the order to `paid` and sets `closed_at`;
 * - a refund that reopens the balance of a `paid` order moves it back to `served` and clears
 *   `closed_at`, so the balance can be paid again.
 */

/** What a client needs to know about the order after a payment or refund. */
export interface OrderBalance {
  id: string;
  status: OrderStatus;
  totalCents: number;
  paidCents: number;
  remainingCents: number;
}

export function orderBalance(order: OrderRow): OrderBalance {
  return {
    id: order.id,
    status: order.status,
    totalCents: order.total_cents,
    paidCents: order.paid_cents,
    remainingCents: Math.max(order.total_cents - order.paid_cents, 0),
  };
}

/** A cancelled, deleted or already paid order takes no payment. */
export function assertPayable(order: OrderRow): void {
  if (order.deleted_at !== null || order.status === 'cancelled' || order.status === 'paid') {
    throw new AppError('POS_ERR_ORDER_CLOSED');
  }
}

/** Refuses an amount above what is left to pay, counting pending PIX charges as promised. */
export function assertWithinBalance(order: OrderRow, pendingCents: number, amount: number): void {
  if (amount > order.total_cents - order.paid_cents - pendingCents) {
    throw new AppError('POS_ERR_AMOUNT_EXCEEDS_BALANCE');
  }
}

/**
 * Adds a captured payment to the order, closing it when the total is covered. The move to `paid`
 * goes through the order state machine with the acting principal, as docs/orders.md agrees.
 */
export async function creditOrder(
  payments: PaymentsRepository,
  order: OrderRow,
  amountCents: number,
  now: string,
  actor: TransitionActor,
): Promise<OrderRow> {
  const paid = order.paid_cents + amountCents;
  const covered = paid >= order.total_cents;
  if (covered) assertTransition(order.status, 'paid', actor);
  const next = {
    paid_cents: paid,
    status: covered ? ('paid' as const) : order.status,
    closed_at: covered ? now : order.closed_at,
    updated_at: now,
  };
  if (!(await payments.updateOrderBalance(order, next))) throw concurrentChange();
  return { ...order, ...next };
}

/**
 * Takes a refund off the order, reopening a paid order whose balance is no longer covered. The
 * move back to `served` goes through the state machine too, with the refunding actor.
 */
export async function debitOrder(
  payments: PaymentsRepository,
  order: OrderRow,
  amountCents: number,
  now: string,
  actor: TransitionActor,
): Promise<OrderRow> {
  const paid = order.paid_cents - amountCents;
  const reopened = order.status === 'paid' && paid < order.total_cents;
  if (reopened) assertTransition(order.status, 'served', actor);
  const next = {
    paid_cents: paid,
    status: reopened ? ('served' as const) : order.status,
    closed_at: reopened ? null : order.closed_at,
    updated_at: now,
  };
  if (!(await payments.updateOrderBalance(order, next))) throw concurrentChange();
  return { ...order, ...next };
}

function concurrentChange(): AppError {
  return conflict('The order changed while the payment was written; retry.');
}
