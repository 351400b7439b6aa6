import type { PaymentRow, RefundRow } from './repository.js';
import type { OrderBalance } from './ledger.js';
import type { PaymentView, RefundView } from './schemas.js';

/**
 * A payment as the API shows it. The card number never leaves the database: only the stored
 * truncation (first 6 and last 4) is shown, and the encrypted value and its keyed hash are not
 * part of the view at all.
 */
export function toPaymentView(payment: PaymentRow): PaymentView {
  return {
    id: payment.id,
    orderId: payment.order_id,
    method: payment.method,
    status: payment.status,
    amountCents: payment.amount_cents,
    refundedCents: payment.refunded_cents,
    tenderedCents: payment.tendered_cents,
    changeCents: payment.change_cents,
    cashierSessionId: payment.cashier_session_id,
    card: payment.card_entry
      ? {
          entry: payment.card_entry,
          brand: payment.card_brand,
          last4: payment.card_last4,
          maskedPan: payment.card_masked,
          authorizationCode: payment.authorization_code,
          nsu: payment.nsu,
        }
      : null,
    voucher: payment.voucher_provider
      ? { provider: payment.voucher_provider, authorizationCode: payment.authorization_code }
      : null,
    pix:
      payment.pix_txid && payment.pix_payload
        ? { txid: payment.pix_txid, payload: payment.pix_payload }
        : null,
    createdBy: payment.created_by,
    createdAt: payment.created_at,
    capturedAt: payment.captured_at,
    cancelledAt: payment.cancelled_at,
  };
}

export function toRefundView(
  refund: RefundRow,
  payment: PaymentRow,
  order: OrderBalance,
): RefundView {
  return {
    id: refund.id,
    paymentId: refund.payment_id,
    orderId: refund.order_id,
    amountCents: refund.amount_cents,
    reason: refund.reason,
    cashierSessionId: refund.cashier_session_id,
    createdBy: refund.created_by,
    approvedBy: refund.approved_by,
    createdAt: refund.created_at,
    payment: toPaymentView(payment),
    order,
  };
}

/** True when the payment holds card data whose reading must be audited (PCI DSS 10.2.1.1). */
export function holdsCardData(payment: PaymentRow): boolean {
  return payment.card_entry !== null;
}
