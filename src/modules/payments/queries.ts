import type { AppContext } from '../../app/context.js';
import { notFound, validationError } from '../../core/errors.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import { PaymentsRepository, type PaymentCursor, type PaymentListFilter } from './repository.js';
import type { ListPaymentsQuery, PaymentView } from './schemas.js';
import { holdsCardData, toPaymentView } from './views.js';

const DEFAULT_LIMIT = 50;

/**
 * One payment. Reading a card payment (even truncated) is access to card data, which PCI DSS
 * 10.2.1.1 wants logged per person: it is audited in the same transaction as the read.
 */
export async function getPayment(
  context: AppContext,
  principal: Principal,
  paymentId: string,
  source: RequestSource,
): Promise<PaymentView> {
  return inTransaction(context.database, async (tx) => {
    const payments = new PaymentsRepository(tx, principal.restaurantId, { lock: false });
    const payment = await payments.findPayment(paymentId);
    if (!payment) throw notFound();

    if (holdsCardData(payment)) {
      await context.audit.record(tx, {
        type: 'card_data_access',
        action: 'payment.read',
        outcome: 'success',
        restaurantId: principal.restaurantId,
        actor: actorOf(principal),
        source,
        resource: { type: 'payment', id: payment.id },
        details: { cardEntry: payment.card_entry },
      });
    }
    return toPaymentView(payment);
  });
}

/** Payments newest first, filtered; a page holding card payments is audited as card access. */
export async function listPayments(
  context: AppContext,
  principal: Principal,
  query: ListPaymentsQuery,
  source: RequestSource,
): Promise<{ items: PaymentView[]; nextCursor: string | null }> {
  const limit = query.limit ?? DEFAULT_LIMIT;
  const filter: PaymentListFilter = {
    limit: limit + 1,
    ...(query.cursor ? { after: decodeCursor(query.cursor) } : {}),
    ...(query.orderId ? { orderId: query.orderId } : {}),
    ...(query.method ? { method: query.method } : {}),
    ...(query.status ? { status: query.status } : {}),
    ...(query.cashierSessionId ? { cashierSessionId: query.cashierSessionId } : {}),
    ...(query.from ? { from: new Date(query.from).toISOString() } : {}),
    ...(query.to ? { to: new Date(query.to).toISOString() } : {}),
  };

  return inTransaction(context.database, async (tx) => {
    const rows = await new PaymentsRepository(tx, principal.restaurantId, { lock: false }).list(
      filter,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null;

    const withCard = page.filter(holdsCardData).length;
    if (withCard > 0) {
      await context.audit.record(tx, {
        type: 'card_data_access',
        action: 'payment.list',
        outcome: 'success',
        restaurantId: principal.restaurantId,
        actor: actorOf(principal),
        source,
        resource: { type: 'payment_list' },
        details: { resultCount: page.length, cardCount: withCard },
      });
    }
    return { items: page.map(toPaymentView), nextCursor };
  });
}

/** Opaque to clients: base64url of the last row's time and id. */
function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): PaymentCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      typeof parsed[1] === 'string'
    ) {
      return { createdAt: parsed[0], id: parsed[1] };
    }
  } catch {
    // Falls through to the validation error below.
  }
  throw validationError([{ path: 'querystring/cursor', message: 'is not a valid cursor' }]);
}
