import type { AppContext } from '../../app/context.js';
import { notFound, validationError } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import type { OrderStatus, OrderType } from '../../infra/db/schema.js';
import { inTransaction } from '../../infra/db/transaction.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import { consumeApproval } from '../auth/approvals.js';
import { RestaurantsRepository } from '../restaurants/repository.js';
import { businessDate } from './business-day.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import {
  assertCoversPayments,
  isCustomerPrincipal,
  maySeeOrder,
  lockOrder,
  recomputeTotals,
  totalsColumns,
} from './order-changes.js';
import { assertFloorActor, assertOpenForChanges } from './order-state.js';
import { priceItems } from './pricing.js';
import { OrdersRepository, type OrderItemRow } from './repository.js';
import type { NewItem } from './schemas.js';
import { computeTotals, discountLimitCents } from './totals.js';
import { toOrderSummary, toOrderView, type OrderSummary, type OrderView } from './views.js';

export {
  canTransition,
  ORDER_TRANSITIONS,
  type OrderTransition,
  type TransitionActor,
} from './order-state.js';

export interface NewOrderInput {
  type: OrderType;
  tableLabel?: string;
  customerId?: string;
  notes?: string;
  items: readonly NewItem[];
}

/**
 * Opens an order: numbered within the restaurant's business day, its items priced from the
 * catalog on the server, its totals computed here, and audited, all in one transaction.
 */
export async function createOrder(
  context: AppContext,
  principal: Principal,
  input: NewOrderInput,
  source: RequestSource,
): Promise<OrderView> {
  assertFloorActor(principal.role);
  if (input.type === 'dine_in' && input.tableLabel === undefined) {
    throw validationError([{ path: 'body/tableLabel', message: 'is required for dine_in' }]);
  }

  return inTransaction(context.database, async (tx) => {
    const restaurantId = principal.restaurantId;
    const restaurant = await new RestaurantsRepository(tx).findById(restaurantId);
    if (!restaurant) throw notFound();
    if (input.customerId !== undefined) await assertCustomer(tx, restaurantId, input.customerId);

    const now = context.clock.now();
    const at = now.toISOString();
    const priced = await priceItems(tx, restaurantId, input.items, at);
    const totals = computeTotals({
      lines: priced.map((item) => ({ ...item, status: 'pending' })),
      requestedDiscountCents: 0,
      serviceFeeBasisPoints: restaurant.serviceFeeBasisPoints,
      type: input.type,
    });

    const orders = new OrdersRepository(tx, restaurantId);
    const day = businessDate(now, restaurant.timezone);
    const order = await orders.insert({
      id: context.ids(),
      number: await orders.nextNumber(day),
      business_date: day,
      type: input.type,
      table_label: input.tableLabel ?? null,
      customer_id: input.customerId ?? null,
      status: 'open',
      ...totalsColumns(totals),
      paid_cents: 0,
      notes: input.notes ?? null,
      cancel_reason: null,
      created_by: principal.id,
      created_at: at,
      updated_at: at,
      closed_at: null,
      deleted_at: null,
      deleted_by: null,
    });
    const items = await orders.insertItems(
      priced.map((item, index) => newItemRow(context, order.id, principal.id, at, index + 1, item)),
    );

    await context.audit.record(tx, {
      type: 'object_created',
      action: 'order.create',
      outcome: 'success',
      restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'order', id: order.id },
      details: {
        number: order.number,
        orderType: order.type,
        itemCount: items.length,
        totalCents: order.total_cents,
      },
    });
    return toOrderView(order, items);
  });
}

/** A new pending item row for an order. */
export function newItemRow(
  context: AppContext,
  orderId: string,
  actorId: string,
  at: string,
  position: number,
  item: Awaited<ReturnType<typeof priceItems>>[number],
): Omit<OrderItemRow, 'restaurant_id'> {
  return {
    id: context.ids(),
    order_id: orderId,
    product_id: item.productId,
    product_name: item.productName,
    unit_price_cents: item.unitPriceCents,
    quantity: item.quantity,
    notes: item.notes,
    status: 'pending',
    sent_at: null,
    voided_at: null,
    voided_by: null,
    void_reason: null,
    created_by: actorId,
    created_at: at,
    ticket_id: null,
    position,
  };
}

/** A customer id given with an order must be one of the restaurant's customers. */
async function assertCustomer(
  tx: Executor,
  restaurantId: RestaurantId,
  customerId: string,
): Promise<void> {
  const customer = await tx
    .selectFrom('customers')
    .select('id')
    .where('restaurant_id', '=', restaurantId)
    .where('id', '=', customerId)
    .executeTakeFirst();
  if (!customer) {
    throw validationError([{ path: 'body/customerId', message: 'is not a customer here' }]);
  }
}

/** One order with its items; a customer sees only their own, others answer 404. */
export async function getOrder(
  context: AppContext,
  principal: Principal,
  orderId: string,
): Promise<OrderView> {
  const orders = new OrdersRepository(context.database.kysely, principal.restaurantId);
  const order = await orders.findById(orderId);
  if (!order) throw notFound();
  if (!maySeeOrder(principal, order.customer_id)) throw notFound();
  return toOrderView(order, await orders.itemsOf(order.id));
}

export interface OrderListOptions {
  limit: number;
  cursor?: string;
  status?: OrderStatus;
  type?: OrderType;
  from?: string;
  to?: string;
}

/** Orders newest first, filtered; a customer lists only their own. */
export async function listOrders(
  context: AppContext,
  principal: Principal,
  options: OrderListOptions,
): Promise<{ items: OrderSummary[]; nextCursor: string | null }> {
  const customerOnly = isCustomerPrincipal(principal);
  if (customerOnly && principal.customerId === null) return { items: [], nextCursor: null };

  const after = options.cursor ? decodeCursor(options.cursor) : undefined;
  const rows = await new OrdersRepository(context.database.kysely, principal.restaurantId).list({
    limit: options.limit + 1,
    ...(after ? { after } : {}),
    ...(options.status ? { status: options.status } : {}),
    ...(options.type ? { type: options.type } : {}),
    ...(options.from ? { from: new Date(options.from).toISOString() } : {}),
    ...(options.to ? { to: new Date(options.to).toISOString() } : {}),
    ...(customerOnly && principal.customerId ? { customerId: principal.customerId } : {}),
  });

  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  const more = rows.length > options.limit && last !== undefined;
  return {
    items: page.map(toOrderSummary),
    nextCursor: more ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
  };
}

export interface OrderChangeInput {
  tableLabel?: string;
  notes?: string;
  discountCents?: number;
  approvalToken?: string;
}

/**
 * Changes the table, the notes or the discount. Holders of `order.cancel` (managers, admins)
 * give any discount; others up to CHEFIA_DISCOUNT_APPROVAL_PERCENT of the subtotal, and above it
 * with a manager approval bound to this order and amount.
 */
export async function updateOrder(
  context: AppContext,
  principal: Principal,
  orderId: string,
  input: OrderChangeInput,
  source: RequestSource,
): Promise<OrderView> {
  assertFloorActor(principal.role);
  return inTransaction(context.database, async (tx) => {
    const { orders, order, items } = await lockOrder(context, tx, principal.restaurantId, orderId);
    assertOpenForChanges(order.status);

    const previousDiscount = Number(order.discount_cents);
    const discount = input.discountCents ?? previousDiscount;
    const totals = await recomputeTotals(tx, order, items, discount);
    if (discount > totals.subtotalCents) {
      throw validationError([{ path: 'body/discountCents', message: 'exceeds the subtotal' }]);
    }
    assertCoversPayments(order, totals);

    const discountChanged = discount !== previousDiscount;
    const limit = discountLimitCents(
      totals.subtotalCents,
      context.config.orders.discountApprovalPercent,
    );
    let approvedBy: string | null = null;
    if (discountChanged && discount > limit && !principal.permissions.has('order.cancel')) {
      approvedBy = await consumeApproval(context, tx, {
        restaurantId: principal.restaurantId,
        token: input.approvalToken ?? '',
        action: 'discount',
        resourceId: order.id,
        amountCents: discount,
      });
    }

    const now = context.clock.now().toISOString();
    const changes = {
      ...(input.tableLabel !== undefined ? { table_label: input.tableLabel } : {}),
      ...(input.notes !== undefined ? { notes: input.notes } : {}),
      ...totalsColumns(totals),
      updated_at: now,
    };
    await orders.update(order.id, changes);

    await context.audit.record(tx, {
      type: 'data_modification',
      action: discountChanged ? 'order.discount' : 'order.update',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'order', id: order.id },
      details: discountChanged
        ? {
            fromCents: previousDiscount,
            toCents: discount,
            subtotalCents: totals.subtotalCents,
            limitCents: limit,
            approvedBy,
          }
        : { tableChanged: input.tableLabel !== undefined, notesChanged: input.notes !== undefined },
      ...(approvedBy ? { risk: { floor: 5 } } : {}),
    });
    return toOrderView({ ...order, ...changes }, items);
  });
}
