import type { AppContext } from '../../app/context.js';
import { AppError, conflict, notFound } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import type { KitchenTicketStatus } from '../../infra/db/schema.js';
import { inTransaction } from '../../infra/db/transaction.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import { decodeCursor, encodeCursor } from '../orders/cursor.js';
import { canTransition, isClosed } from '../orders/order-state.js';
import { OrdersRepository, type OrderRow } from '../orders/repository.js';
import type { KitchenEventBus } from './event-bus.js';
import { appendKdsEvent, ticketViews, type KdsEvent, type TicketView } from './events.js';
import { KitchenRepository } from './repository.js';
import {
  ACTIVE_TICKET_STATUSES,
  assertTicketTransition,
  orderStatusFromTickets,
} from './ticket-state.js';

/** Customers hold `order.read` for their own orders; the kitchen's screens are staff only. */
export function assertKitchenViewer(principal: Principal): void {
  if (principal.role === 'customer' || principal.customerId !== null) {
    throw new AppError('POS_ERR_FORBIDDEN');
  }
}

/**
 * Puts every unsent item of a locked order on a new ticket, inside the caller's transaction.
 * Returns `null` when there is nothing to send.
 */
export async function createTicket(
  context: AppContext,
  tx: Executor,
  order: OrderRow,
  actorId: string,
): Promise<{ ticket: TicketView; event: KdsEvent } | null> {
  const restaurantId = order.restaurant_id as RestaurantId;
  const kitchen = new KitchenRepository(tx, restaurantId);
  const orders = new OrdersRepository(tx, restaurantId);
  const now = context.clock.now().toISOString();

  const row = {
    id: context.ids(),
    order_id: order.id,
    order_number: order.number,
    order_type: order.type,
    table_label: order.table_label,
    status: 'queued' as const,
    created_by: actorId,
    created_at: now,
    updated_by: actorId,
    updated_at: now,
  };
  const sent = await orders.markPendingSent(order.id, row.id, now);
  if (sent === 0) return null;

  const ticket = await kitchen.insertTicket(row);
  const [view] = await ticketViews(kitchen, [ticket]);
  if (!view) throw new Error('ticket vanished inside its own transaction');
  const event = await appendKdsEvent(kitchen, restaurantId, 'ticket.created', view, now);
  return { ticket: view, event };
}

/** Re-announces a ticket whose items changed (a void), so displays strike the item out. */
export async function announceTicketChange(
  context: AppContext,
  tx: Executor,
  restaurantId: RestaurantId,
  ticketId: string,
  actorId: string,
): Promise<KdsEvent | null> {
  const kitchen = new KitchenRepository(tx, restaurantId);
  const now = context.clock.now().toISOString();
  await kitchen.touchTicket(ticketId, actorId, now);
  const ticket = await kitchen.findTicket(ticketId);
  if (!ticket) return null;
  const [view] = await ticketViews(kitchen, [ticket]);
  return view ? appendKdsEvent(kitchen, restaurantId, 'ticket.updated', view, now) : null;
}

/**
 * Takes an order's unfinished tickets off the kitchen's screens when the order is cancelled or
 * deleted. Runs inside the caller's transaction; returns the events to publish after commit.
 */
export async function cancelTicketsOfOrder(
  context: AppContext,
  tx: Executor,
  restaurantId: RestaurantId,
  orderId: string,
  actorId: string,
): Promise<KdsEvent[]> {
  const kitchen = new KitchenRepository(tx, restaurantId);
  const now = context.clock.now().toISOString();
  const open = (await kitchen.ticketsOfOrder(orderId)).filter((ticket) =>
    ACTIVE_TICKET_STATUSES.includes(ticket.status),
  );

  const events: KdsEvent[] = [];
  for (const ticket of open) {
    if (!(await kitchen.moveTicket(ticket.id, ticket.status, 'cancelled', actorId, now))) continue;
    const moved = { ...ticket, status: 'cancelled' as const, updated_by: actorId, updated_at: now };
    const [view] = await ticketViews(kitchen, [moved]);
    if (view)
      events.push(await appendKdsEvent(kitchen, restaurantId, 'ticket.cancelled', view, now));
  }
  return events;
}

export interface TicketPage {
  items: TicketView[];
  nextCursor: string | null;
  /** The restaurant's latest kitchen event when the page was read: send it as Last-Event-ID. */
  lastEventId: string;
}

/** Tickets oldest first; without a status filter, those still on the kitchen's screen. */
export async function listTickets(
  context: AppContext,
  principal: Principal,
  options: { limit: number; cursor?: string; status?: KitchenTicketStatus },
): Promise<TicketPage> {
  assertKitchenViewer(principal);
  const kitchen = new KitchenRepository(context.database.kysely, principal.restaurantId);
  // Read before the tickets: an event racing the read is replayed to the display, never lost.
  const lastEventSeq = await kitchen.lastEventSeq();
  const after = options.cursor ? decodeCursor(options.cursor) : undefined;
  const rows = await kitchen.listTickets({
    statuses: options.status ? [options.status] : ACTIVE_TICKET_STATUSES,
    limit: options.limit + 1,
    ...(after ? { after } : {}),
  });

  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return {
    items: await ticketViews(kitchen, page),
    nextCursor:
      rows.length > options.limit && last
        ? encodeCursor({ createdAt: last.created_at, id: last.id })
        : null,
    lastEventId: String(lastEventSeq),
  };
}

/**
 * Moves a ticket along its machine and, when all of an order's tickets are ready (or served),
 * moves the order too. Kitchen staff change nothing else: not items, prices or payments.
 */
export async function moveTicket(
  context: AppContext,
  bus: KitchenEventBus,
  principal: Principal,
  ticketId: string,
  to: KitchenTicketStatus,
  source: RequestSource,
): Promise<TicketView> {
  assertKitchenViewer(principal);
  const { view, event } = await inTransaction(context.database, async (tx) => {
    const kitchen = new KitchenRepository(tx, principal.restaurantId);
    const orders = new OrdersRepository(tx, principal.restaurantId);
    const found = await kitchen.findTicket(ticketId);
    if (!found) throw notFound();
    // The order's row lock orders this move after any concurrent change of the same order.
    const order = await orders.findById(found.order_id, context.database.dialect === 'postgres');
    const ticket = await kitchen.findTicket(ticketId);
    if (!ticket) throw notFound();

    assertTicketTransition(ticket.status, to, principal.role);
    const now = context.clock.now().toISOString();
    if (!(await kitchen.moveTicket(ticket.id, ticket.status, to, principal.id, now))) {
      throw conflict();
    }
    const orderStatus = order ? await followTickets(tx, principal, order, now) : null;

    const moved = { ...ticket, status: to, updated_by: principal.id, updated_at: now };
    const [movedView] = await ticketViews(kitchen, [moved]);
    if (!movedView) throw notFound();
    const kdsEvent = await appendKdsEvent(
      kitchen,
      principal.restaurantId,
      'ticket.updated',
      movedView,
      now,
    );
    await context.audit.record(tx, {
      type: 'data_modification',
      action: 'kds.ticket_move',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'kitchen_ticket', id: ticket.id },
      details: { orderId: ticket.order_id, from: ticket.status, to, orderStatus },
    });
    return { view: movedView, event: kdsEvent };
  });

  bus.publish(principal.restaurantId, event);
  return view;
}

/**
 * Moves a live order to the status its tickets call for, through the order machine. Closed
 * orders stay as they are: a takeaway paid up front still has its tickets cooked and served.
 */
async function followTickets(
  tx: Executor,
  principal: Principal,
  order: OrderRow,
  now: string,
): Promise<string | null> {
  if (isClosed(order.status)) return null;
  const kitchen = new KitchenRepository(tx, principal.restaurantId);
  const wanted = orderStatusFromTickets(
    (await kitchen.ticketsOfOrder(order.id)).map((t) => t.status),
  );
  if (!wanted || wanted === order.status) return null;
  if (!canTransition(order.status, wanted, principal)) return null;

  await new OrdersRepository(tx, principal.restaurantId).update(order.id, {
    status: wanted,
    updated_at: now,
  });
  return wanted;
}
