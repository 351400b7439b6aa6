import type { AppContext } from '../../app/context.js';
import { AppError } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import type { KitchenEventBus } from '../kitchen/event-bus.js';
import { cancelTicketsOfOrder } from '../kitchen/service.js';
import { hasAnyPayment, holdsMoney, lockOrder, publishAll } from './order-changes.js';
import { assertTransition } from './order-state.js';
import { restock } from './pricing.js';
import type { OrderItemRow } from './repository.js';
import { toOrderView, type OrderView } from './views.js';

/**
 * Cancels a live order with a reason (`order.cancel`). An order with captured money not yet
 * refunded in full, or with a payment still pending that could capture, must be refunded or
 * settled first. Its unfinished kitchen tickets are withdrawn and its tracked stock returned.
 */
export async function cancelOrder(
  context: AppContext,
  bus: KitchenEventBus,
  principal: Principal,
  orderId: string,
  reason: string,
  source: RequestSource,
): Promise<OrderView> {
  const { view, events } = await inTransaction(context.database, async (tx) => {
    const { orders, order, items } = await lockOrder(context, tx, principal.restaurantId, orderId);
    assertTransition(order.status, 'cancelled', principal);
    if (Number(order.paid_cents) !== 0) throw new AppError('POS_ERR_ORDER_HAS_PAYMENTS');
    if (await holdsMoney(tx, principal.restaurantId, order.id)) {
      throw new AppError('POS_ERR_ORDER_HAS_PAYMENTS');
    }

    const now = context.clock.now().toISOString();
    const changes = {
      status: 'cancelled' as const,
      cancel_reason: reason,
      closed_at: now,
      updated_at: now,
    };
    await orders.update(order.id, changes);
    await returnLiveItems(tx, principal.restaurantId, items, now);
    const kdsEvents = await cancelTicketsOfOrder(
      context,
      tx,
      principal.restaurantId,
      order.id,
      principal.id,
    );

    await context.audit.record(tx, {
      type: 'data_modification',
      action: 'order.cancel',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'order', id: order.id },
      details: {
        fromStatus: order.status,
        totalCents: Number(order.total_cents),
        ticketsWithdrawn: kdsEvents.length,
      },
      risk: { floor: 4 },
    });
    return { view: toOrderView({ ...order, ...changes }, items), events: kdsEvents };
  });

  publishAll(bus, principal.restaurantId, events);
  return view;
}

/**
 * Deletes an order (`order.delete`), softly: it leaves lists and lookups but stays in the
 * database for the fiscal record. Only an order that never had a payment of any kind may go.
 */
export async function deleteOrder(
  context: AppContext,
  bus: KitchenEventBus,
  principal: Principal,
  orderId: string,
  source: RequestSource,
): Promise<void> {
  const events = await inTransaction(context.database, async (tx) => {
    const { orders, order, items } = await lockOrder(context, tx, principal.restaurantId, orderId);
    if (Number(order.paid_cents) !== 0) throw new AppError('POS_ERR_ORDER_HAS_PAYMENTS');
    if (await hasAnyPayment(tx, principal.restaurantId, order.id)) {
      throw new AppError('POS_ERR_ORDER_HAS_PAYMENTS');
    }

    const now = context.clock.now().toISOString();
    await orders.update(order.id, { deleted_at: now, deleted_by: principal.id, updated_at: now });
    // A cancelled order gave its stock back already.
    if (order.status !== 'cancelled') await returnLiveItems(tx, principal.restaurantId, items, now);
    const kdsEvents = await cancelTicketsOfOrder(
      context,
      tx,
      principal.restaurantId,
      order.id,
      principal.id,
    );

    await context.audit.record(tx, {
      type: 'object_deleted',
      action: 'order.delete',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'order', id: order.id },
      details: { number: order.number, status: order.status, totalCents: order.total_cents },
      risk: { floor: 5 },
    });
    return kdsEvents;
  });

  publishAll(bus, principal.restaurantId, events);
}

async function returnLiveItems(
  tx: Executor,
  restaurantId: RestaurantId,
  items: readonly OrderItemRow[],
  at: string,
): Promise<void> {
  const live = items.filter((item) => item.status !== 'voided');
  await restock(
    tx,
    restaurantId,
    live.map((item) => ({ productId: item.product_id, quantity: Number(item.quantity) })),
    at,
  );
}
