import type { OrderStatus, OrderType } from '../../infra/db/schema.js';
import type { OrderItemRow, OrderRow } from './repository.js';
import { lineTotalCents } from './totals.js';

/** An order as lists show it: the money and the state, without its items. */
export interface OrderSummary {
  id: string;
  number: number;
  businessDate: string;
  type: OrderType;
  tableLabel: string | null;
  customerId: string | null;
  status: OrderStatus;
  subtotalCents: number;
  discountCents: number;
  serviceFeeCents: number;
  totalCents: number;
  paidCents: number;
  notes: string | null;
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface OrderItemView {
  id: string;
  productId: string;
  productName: string;
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
  notes: string | null;
  status: 'pending' | 'sent' | 'voided';
  sentAt: string | null;
  voidedAt: string | null;
}

export interface OrderView extends OrderSummary {
  items: OrderItemView[];
}

export function toOrderSummary(order: OrderRow): OrderSummary {
  return {
    id: order.id,
    number: Number(order.number),
    businessDate: order.business_date,
    type: order.type,
    tableLabel: order.table_label,
    customerId: order.customer_id,
    status: order.status,
    subtotalCents: Number(order.subtotal_cents),
    discountCents: Number(order.discount_cents),
    serviceFeeCents: Number(order.service_fee_cents),
    totalCents: Number(order.total_cents),
    paidCents: Number(order.paid_cents),
    notes: order.notes,
    cancelReason: order.cancel_reason,
    createdAt: order.created_at,
    updatedAt: order.updated_at,
    closedAt: order.closed_at,
  };
}

export function toOrderItemView(item: OrderItemRow): OrderItemView {
  return {
    id: item.id,
    productId: item.product_id,
    productName: item.product_name,
    unitPriceCents: Number(item.unit_price_cents),
    quantity: Number(item.quantity),
    lineTotalCents: lineTotalCents({
      unitPriceCents: Number(item.unit_price_cents),
      quantity: Number(item.quantity),
    }),
    notes: item.notes,
    status: item.status,
    sentAt: item.sent_at,
    voidedAt: item.voided_at,
  };
}

export function toOrderView(order: OrderRow, items: readonly OrderItemRow[]): OrderView {
  return { ...toOrderSummary(order), items: items.map(toOrderItemView) };
}
