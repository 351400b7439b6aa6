import type { AppContext } from '../../app/context.js';
import { conflict, notFound } from '../../core/errors.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import { consumeApproval } from '../auth/approvals.js';
import type { KitchenEventBus } from '../kitchen/event-bus.js';
import { announceTicketChange, createTicket } from '../kitchen/service.js';
import {
  assertCoversPayments,
  lockOrder,
  publishAll,
  recomputeTotals,
  totalsColumns,
} from './order-changes.js';
import { assertFloorActor, assertOpenForChanges, assertTransition } from './order-state.js';
import { priceItems, restock } from './pricing.js';
import type { NewItem } from './schemas.js';
import { newItemRow } from './service.js';
import { lineTotalCents } from './totals.js';
import { toOrderView, type OrderView } from './views.js';

/** Adds items to a live order, priced from the catalog now; they wait to be sent. */
export async function addItems(
  context: AppContext,
  principal: Principal,
  orderId: string,
  newItems: readonly NewItem[],
  source: RequestSource,
): Promise<OrderView> {
  assertFloorActor(principal.role);
  return inTransaction(context.database, async (tx) => {
    const { orders, order, items } = await lockOrder(context, tx, principal.restaurantId, orderId);
    assertOpenForChanges(order.status);

    const at = context.clock.now().toISOString();
    const priced = await priceItems(tx, principal.restaurantId, newItems, at);
    const lastPosition = items.reduce((max, item) => Math.max(max, Number(item.position)), 0);
    const added = await orders.insertItems(
      priced.map((item, index) =>
        newItemRow(context, order.id, principal.id, at, lastPosition + index + 1, item),
      ),
    );
    const allItems = [...items, ...added];
    const totals = await recomputeTotals(tx, order, allItems, Number(order.discount_cents));
    const changes = { ...totalsColumns(totals), updated_at: at };
    await orders.update(order.id, changes);

    await context.audit.record(tx, {
      type: 'data_modification',
      action: 'order.add_items',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'order', id: order.id },
      details: { itemCount: added.length, totalCents: totals.totalCents },
    });
    return toOrderView({ ...order, ...changes }, allItems);
  });
}

/**
 * Removes an item. An item not yet sent is simply taken off by anyone who may update orders; an
 * item the kitchen already has is a void: it needs `order.cancel` or a manager approval for
 * action `void`, this item and its line total. Either way the line stays on the order, marked
 * voided, so the record shows what was taken off, by whom and why.
 */
export async function removeItem(
  context: AppContext,
  bus: KitchenEventBus,
  principal: Principal,
  target: { orderId: string; itemId: string },
  options: { reason?: string; approvalToken?: string },
  source: RequestSource,
): Promise<OrderView> {
  assertFloorActor(principal.role);
  const { view, events } = await inTransaction(context.database, async (tx) => {
    const locked = await lockOrder(context, tx, principal.restaurantId, target.orderId);
    const { orders, order, items } = locked;
    assertOpenForChanges(order.status);
    const item = items.find((candidate) => candidate.id === target.itemId);
    if (!item) throw notFound();
    if (item.status === 'voided') throw conflict('The item is already voided.');

    const lineTotal = lineTotalCents({
      unitPriceCents: Number(item.unit_price_cents),
      quantity: Number(item.quantity),
    });
    const sent = item.status === 'sent';
    let approvedBy: string | null = null;
    if (sent && !principal.permissions.has('order.cancel')) {
      approvedBy = await consumeApproval(context, tx, {
        restaurantId: principal.restaurantId,
        token: options.approvalToken ?? '',
        action: 'void',
        resourceId: item.id,
        amountCents: lineTotal,
      });
    }

    const now = context.clock.now().toISOString();
    const itemChanges = {
      status: 'voided' as const,
      voided_at: now,
      voided_by: principal.id,
      void_reason: options.reason ?? null,
    };
    const remaining = items.map((row) => (row.id === item.id ? { ...row, ...itemChanges } : row));
    const totals = await recomputeTotals(tx, order, remaining, Number(order.discount_cents));
    assertCoversPayments(order, totals);

    await orders.updateItem(order.id, item.id, itemChanges);
    const changes = { ...totalsColumns(totals), updated_at: now };
    await orders.update(order.id, changes);
    await restock(
      tx,
      principal.restaurantId,
      [{ productId: item.product_id, quantity: Number(item.quantity) }],
      now,
    );
    const event =
      sent && item.ticket_id
        ? await announceTicketChange(
            context,
            tx,
            principal.restaurantId,
            item.ticket_id,
            principal.id,
          )
        : null;

    await context.audit.record(tx, {
      type: 'data_modification',
      action: 'order.void_item',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'order', id: order.id },
      details: {
        itemId: item.id,
        productId: item.product_id,
        quantity: Number(item.quantity),
        lineTotalCents: lineTotal,
        sentToKitchen: sent,
        approvedBy,
      },
      ...(sent ? { risk: { floor: 5 } } : {}),
    });
    return {
      view: toOrderView({ ...order, ...changes }, remaining),
      events: event ? [event] : [],
    };
  });

  publishAll(bus, principal.restaurantId, events);
  return view;
}

/**
 * Sends the order's unsent items to the kitchen on one new ticket and moves the order to
 * `in_kitchen` (from open, or back from ready or served for a new round).
 */
export async function sendOrder(
  context: AppContext,
  bus: KitchenEventBus,
  principal: Principal,
  orderId: string,
  source: RequestSource,
): Promise<OrderView> {
  assertFloorActor(principal.role);
  const { view, events } = await inTransaction(context.database, async (tx) => {
    const { orders, order } = await lockOrder(context, tx, principal.restaurantId, orderId);
    assertOpenForChanges(order.status);
    if (order.status !== 'in_kitchen') assertTransition(order.status, 'in_kitchen', principal);

    const created = await createTicket(context, tx, order, principal.id);
    if (!created) throw conflict('The order has no unsent items.');
    const now = context.clock.now().toISOString();
    const changes = { status: 'in_kitchen' as const, updated_at: now };
    await orders.update(order.id, changes);

    await context.audit.record(tx, {
      type: 'data_modification',
      action: 'order.send',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'order', id: order.id },
      details: { ticketId: created.ticket.id, itemCount: created.ticket.items.length },
    });
    return {
      view: toOrderView({ ...order, ...changes }, await orders.itemsOf(order.id)),
      events: [created.event],
    };
  });

  publishAll(bus, principal.restaurantId, events);
  return view;
}
