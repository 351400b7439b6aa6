import type { AppContext } from '../../app/context.js';
import { AppError, notFound } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import type { Principal } from '../../security/authz/principal.js';
import type { KitchenEventBus } from '../kitchen/event-bus.js';
import type { KdsEvent } from '../kitchen/events.js';
import { RestaurantsRepository } from '../restaurants/repository.js';
import { OrdersRepository, type OrderItemRow, type OrderRow } from './repository.js';
import { computeTotals, type OrderTotals } from './totals.js';

/** A customer login sees only its own orders; staff see the restaurant's. */
export function isCustomerPrincipal(principal: Principal): boolean {
  return principal.role === 'customer';
}

/**
 * Whether `principal` may see an order of its restaurant placed for `customerId`: staff see
 * every order, a customer login only orders of its own customer record, and none while it is
 * linked to no record (a walk-in order has no customer either).
 */
export function maySeeOrder(principal: Principal, customerId: string | null): boolean {
  if (!isCustomerPrincipal(principal)) return true;
  return principal.customerId !== null && customerId === principal.customerId;
}

/**
 * The order with its items, locked for the rest of the transaction on PostgreSQL so that two
 * changes of one order (or a change and a payment) run one after the other. Another
 * restaurant's or a deleted order is simply not found.
 */
export async function lockOrder(
  context: AppContext,
  tx: Executor,
  restaurantId: RestaurantId,
  orderId: string,
): Promise<{ orders: OrdersRepository; order: OrderRow; items: OrderItemRow[] }> {
  const orders = new OrdersRepository(tx, restaurantId);
  const order = await orders.findById(orderId, context.database.dialect === 'postgres');
  if (!order) throw notFound();
  return { orders, order, items: await orders.itemsOf(order.id) };
}

export async function serviceFeeBasisPoints(
  tx: Executor,
  restaurantId: RestaurantId,
): Promise<number> {
  const restaurant = await new RestaurantsRepository(tx).findById(restaurantId);
  if (!restaurant) throw notFound();
  return restaurant.serviceFeeBasisPoints;
}

/** The order's totals recomputed from its items and the discount asked for. */
export async function recomputeTotals(
  tx: Executor,
  order: OrderRow,
  items: readonly OrderItemRow[],
  requestedDiscountCents: number,
): Promise<OrderTotals> {
  return computeTotals({
    lines: items.map((item) => ({
      unitPriceCents: Number(item.unit_price_cents),
      quantity: Number(item.quantity),
      status: item.status,
    })),
    requestedDiscountCents,
    serviceFeeBasisPoints: await serviceFeeBasisPoints(tx, order.restaurant_id as RestaurantId),
    type: order.type,
  });
}

/**
 * An order may not drop below what was already paid for it: the difference would have to be
 * refunded first, through the payments module (409 POS_ERR_ORDER_HAS_PAYMENTS).
 */
export function assertCoversPayments(order: OrderRow, totals: OrderTotals): void {
  if (totals.totalCents < Number(order.paid_cents)) {
    throw new AppError('POS_ERR_ORDER_HAS_PAYMENTS');
  }
}

export function totalsColumns(totals: OrderTotals) {
  return {
    subtotal_cents: totals.subtotalCents,
    discount_cents: totals.discountCents,
    service_fee_cents: totals.serviceFeeCents,
    total_cents: totals.totalCents,
  };
}

/** The order's payment rows, the query both checks below narrow. */
function paymentsOf(tx: Executor, restaurantId: RestaurantId, orderId: string) {
  return tx
    .selectFrom('payments')
    .select('id')
    .where('restaurant_id', '=', restaurantId)
    .where('order_id', '=', orderId)
    .limit(1);
}

/** Whether any payment row, captured or not, exists for the order. */
export async function hasAnyPayment(
  tx: Executor,
  restaurantId: RestaurantId,
  orderId: string,
): Promise<boolean> {
  return (await paymentsOf(tx, restaurantId, orderId).executeTakeFirst()) !== undefined;
}

/**
 * True while a payment of the order still holds money: a pending charge that could capture, or a
 * captured payment not refunded in full. A fully refunded payment no longer stands in the way of
 * cancelling.
 */
export async function holdsMoney(
  tx: Executor,
  restaurantId: RestaurantId,
  orderId: string,
): Promise<boolean> {
  const payment = await paymentsOf(tx, restaurantId, orderId)
    .where((eb) =>
      eb.or([
        eb('status', '=', 'pending'),
        eb.and([eb('status', '=', 'captured'), eb('refunded_cents', '<', eb.ref('amount_cents'))]),
      ]),
    )
    .executeTakeFirst();
  return payment !== undefined;
}

/** Hands committed kitchen events to the live displays. */
export function publishAll(
  bus: KitchenEventBus,
  restaurantId: string,
  events: readonly KdsEvent[],
): void {
  for (const event of events) bus.publish(restaurantId, event);
}
