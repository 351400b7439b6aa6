import type { AppContext } from '../../app/context.js';
import { notFound, validationError, type FieldError } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import { requireOpenSession } from '../cashier/service.js';
import { RestaurantsRepository } from '../restaurants/repository.js';
import { cardColumns, type CardColumns } from './card-entry.js';
import {
  assertPayable,
  assertWithinBalance,
  creditOrder,
  orderBalance,
  type OrderBalance,
} from './ledger.js';
import { createPixCharge } from './pix/charge.js';
import { PaymentsRepository, type PaymentRow } from './repository.js';
import type { PaymentBody, PaymentResult } from './schemas.js';
import { toPaymentView } from './views.js';

const NO_CARD: CardColumns = {
  card_entry: null,
  card_brand: null,
  card_last4: null,
  card_masked: null,
  authorization_code: null,
  nsu: null,
  pan_encrypted: null,
  pan_hash: null,
};

/**
 * Takes one payment of an order, inside `tx` (the idempotency transaction). Cash, card and voucher
 * payments are captured at once and credited to the order; a PIX charge stays pending until it is
 * confirmed, holding its amount back from the balance meanwhile. The amount never exceeds what is
 * left to pay: only cash gives change.
 */
export async function createPayment(
  context: AppContext,
  tx: Executor,
  principal: Principal,
  orderId: string,
  input: PaymentBody,
  source: RequestSource,
): Promise<PaymentResult> {
  checkMethodFields(input);

  const lock = context.database.dialect === 'postgres';
  const payments = new PaymentsRepository(tx, principal.restaurantId, { lock });
  const order = await payments.findOrderForUpdate(orderId);
  if (!order) throw notFound();
  assertPayable(order);
  assertWithinBalance(order, await payments.pendingCents(order.id), input.amountCents);

  const now = context.clock.now().toISOString();
  const base = {
    id: context.ids(),
    order_id: order.id,
    method: input.method,
    amount_cents: input.amountCents,
    refunded_cents: 0,
    tendered_cents: null,
    change_cents: null,
    cashier_session_id: null,
    ...NO_CARD,
    voucher_provider: null,
    pix_txid: null,
    pix_payload: null,
    created_by: principal.id,
    created_at: now,
    captured_at: now,
    captured_by: principal.id,
    cancelled_at: null,
    updated_at: now,
  };

  let row: Omit<PaymentRow, 'restaurant_id'>;
  switch (input.method) {
    case 'cash': {
      const session = await requireOpenSession(context, tx, principal.restaurantId, principal.id);
      const tendered = input.tenderedCents ?? input.amountCents;
      row = {
        ...base,
        status: 'captured',
        tendered_cents: tendered,
        change_cents: tendered - input.amountCents,
        cashier_session_id: session.id,
      };
      break;
    }
    case 'credit':
    case 'debit':
      if (!input.card) throw missingField('card');
      row = { ...base, status: 'captured', ...cardColumns(context, input.card) };
      break;
    case 'voucher':
      if (!input.voucher) throw missingField('voucher');
      row = {
        ...base,
        status: 'captured',
        voucher_provider: input.voucher.provider.trim(),
        authorization_code: input.voucher.authorizationCode ?? null,
      };
      break;
    case 'pix': {
      const restaurant = await new RestaurantsRepository(tx).findById(principal.restaurantId);
      if (!restaurant) throw notFound();
      const charge = createPixCharge(restaurant, input.amountCents);
      row = {
        ...base,
        status: 'pending',
        captured_at: null,
        captured_by: null,
        pix_txid: charge.txid,
        pix_payload: charge.payload,
      };
      break;
    }
  }

  const payment = await payments.insertPayment(row);
  const after =
    payment.status === 'captured'
      ? await creditOrder(payments, order, payment.amount_cents, now, principal)
      : order;

  await context.audit.record(tx, {
    type: 'payment_processed',
    action: payment.status === 'captured' ? 'payment.capture' : 'payment.pix_charge',
    outcome: 'success',
    restaurantId: principal.restaurantId,
    actor: actorOf(principal),
    source,
    resource: { type: 'payment', id: payment.id },
    details: {
      orderId: order.id,
      method: payment.method,
      amountCents: payment.amount_cents,
      changeCents: payment.change_cents,
      cardEntry: payment.card_entry,
      orderStatus: after.status,
    },
  });
  return withBalance(toPaymentView(payment), orderBalance(after));
}

export function withBalance(
  view: ReturnType<typeof toPaymentView>,
  order: OrderBalance,
): PaymentResult {
  return { ...view, order };
}

/**
 * The fields each method needs and the ones it must not carry, all reported at once: a card
 * number sent with a cash payment is refused rather than silently dropped.
 */
function checkMethodFields(input: PaymentBody): void {
  const fields: FieldError[] = [];
  const requireField = (present: boolean, name: string) => {
    if (!present) fields.push({ path: `body/${name}`, message: 'is required for this method' });
  };
  const forbidField = (present: boolean, name: string) => {
    if (present) fields.push({ path: `body/${name}`, message: 'is not allowed for this method' });
  };

  const cash = input.method === 'cash';
  const card = input.method === 'credit' || input.method === 'debit';
  const voucher = input.method === 'voucher';
  forbidField(!cash && input.tenderedCents !== undefined, 'tenderedCents');
  if (card) requireField(input.card !== undefined, 'card');
  else forbidField(input.card !== undefined, 'card');
  if (voucher) requireField(input.voucher !== undefined, 'voucher');
  else forbidField(input.voucher !== undefined, 'voucher');
  if (cash && input.tenderedCents !== undefined && input.tenderedCents < input.amountCents) {
    fields.push({ path: 'body/tenderedCents', message: 'must be at least amountCents' });
  }

  if (fields.length > 0) throw validationError(fields);
}

function missingField(name: string) {
  return validationError([{ path: `body/${name}`, message: 'is required for this method' }]);
}
