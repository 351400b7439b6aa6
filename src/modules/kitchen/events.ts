import type { KitchenTicketStatus, OrderType } from '../../infra/db/schema.js';
import type { KdsEventRow, KitchenRepository, TicketItemRow, TicketRow } from './repository.js';

/** A ticket as the kitchen display shows it: what to cook, never prices or payments. */
export interface TicketView {
  id: string;
  orderId: string;
  orderNumber: number;
  orderType: OrderType;
  tableLabel: string | null;
  status: KitchenTicketStatus;
  items: TicketItemView[];
  createdAt: string;
  updatedAt: string;
}

export interface TicketItemView {
  id: string;
  productName: string;
  quantity: number;
  /** Stored as typed; displays must render it as text, never as HTML. */
  notes: string | null;
  /** A voided item stays on the ticket, struck out, so the kitchen sees the change. */
  voided: boolean;
}

export const KDS_EVENT_TYPES = ['ticket.created', 'ticket.updated', 'ticket.cancelled'] as const;
export type KdsEventType = (typeof KDS_EVENT_TYPES)[number];

/** One kitchen event: `seq` is the restaurant's event number and the SSE `id`. */
export interface KdsEvent {
  restaurantId: string;
  seq: number;
  type: KdsEventType;
  ticket: TicketView;
  occurredAt: string;
}

export function toTicketView(ticket: TicketRow, items: readonly TicketItemRow[]): TicketView {
  return {
    id: ticket.id,
    orderId: ticket.order_id,
    orderNumber: ticket.order_number,
    orderType: ticket.order_type,
    tableLabel: ticket.table_label,
    status: ticket.status,
    items: items
      .filter((item) => item.ticket_id === ticket.id)
      .map((item) => ({
        id: item.id,
        productName: item.product_name,
        quantity: item.quantity,
        notes: item.notes,
        voided: item.status === 'voided',
      })),
    createdAt: ticket.created_at,
    updatedAt: ticket.updated_at,
  };
}

/** Reads tickets with their items, in one query for the items. */
export async function ticketViews(
  kitchen: KitchenRepository,
  tickets: readonly TicketRow[],
): Promise<TicketView[]> {
  const items = await kitchen.itemsOfTickets(tickets.map((ticket) => ticket.id));
  return tickets.map((ticket) => toTicketView(ticket, items));
}

/**
 * Appends an event to the restaurant's kitchen log inside the transaction of the change it
 * reports. It is published to live displays only after that transaction commits.
 */
export async function appendKdsEvent(
  kitchen: KitchenRepository,
  restaurantId: string,
  type: KdsEventType,
  ticket: TicketView,
  occurredAt: string,
): Promise<KdsEvent> {
  const seq = await kitchen.nextEventSeq();
  await kitchen.insertEvent({
    seq,
    type,
    ticket_id: ticket.id,
    order_id: ticket.orderId,
    payload: JSON.stringify(ticket),
    created_at: occurredAt,
  });
  return { restaurantId, seq, type, ticket, occurredAt };
}

/** An event read back from the log. */
export function fromEventRow(row: KdsEventRow): KdsEvent {
  return {
    restaurantId: row.restaurant_id,
    seq: Number(row.seq),
    type: row.type as KdsEventType,
    ticket: JSON.parse(row.payload) as TicketView,
    occurredAt: row.created_at,
  };
}
