import { Type, type Static } from '@sinclair/typebox';

import { ORDER_STATUSES } from './order-state.js';

/**
 * Request and response schemas. Every body is closed: a client that sends a price, a subtotal,
 * a total, a status or a restaurant gets 400 POS_ERR_VALIDATION naming the field, because the
 * server alone prices orders from the catalog and moves them through their states.
 */
const closed = { additionalProperties: false } as const;

export const OrderTypeSchema = Type.Union([
  Type.Literal('dine_in'),
  Type.Literal('takeaway'),
  Type.Literal('delivery'),
]);
export const OrderStatusSchema = Type.Union(ORDER_STATUSES.map((status) => Type.Literal(status)));

const Id = Type.String({ minLength: 1, maxLength: 64 });
/** Notes are kept as typed and shown as text; 140 characters fit a kitchen ticket line. */
const ItemNotes = Type.String({ maxLength: 140 });
const OrderNotes = Type.String({ maxLength: 280 });
const TableLabel = Type.String({ minLength: 1, maxLength: 20 });
const ApprovalToken = Type.String({ minLength: 16, maxLength: 128 });

export const NewItem = Type.Object(
  {
    productId: Id,
    quantity: Type.Integer({ minimum: 1, maximum: 99 }),
    notes: Type.Optional(ItemNotes),
  },
  closed,
);
export type NewItem = Static<typeof NewItem>;

export const CreateOrderBody = Type.Object(
  {
    type: OrderTypeSchema,
    tableLabel: Type.Optional(TableLabel),
    customerId: Type.Optional(Id),
    notes: Type.Optional(OrderNotes),
    items: Type.Array(NewItem, { maxItems: 50 }),
  },
  closed,
);
export type CreateOrderBody = Static<typeof CreateOrderBody>;

export const AddItemsBody = Type.Object(
  { items: Type.Array(NewItem, { minItems: 1, maxItems: 50 }) },
  closed,
);
export type AddItemsBody = Static<typeof AddItemsBody>;

/** What PATCH may change; status, type, items and money have their own actions or none. */
export const UpdateOrderBody = Type.Object(
  {
    tableLabel: Type.Optional(TableLabel),
    notes: Type.Optional(OrderNotes),
    discountCents: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_000_000_000 })),
    /** A manager approval for a discount above the staff limit (POST /auth/approvals). */
    approvalToken: Type.Optional(ApprovalToken),
  },
  { ...closed, minProperties: 1 },
);
export type UpdateOrderBody = Static<typeof UpdateOrderBody>;

export const RemoveItemBody = Type.Object(
  {
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 140 })),
    /** A manager approval for voiding an item already sent to the kitchen. */
    approvalToken: Type.Optional(ApprovalToken),
  },
  closed,
);
export type RemoveItemBody = Static<typeof RemoveItemBody>;

export const CancelOrderBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 200 }) },
  closed,
);
export type CancelOrderBody = Static<typeof CancelOrderBody>;

export const OrderParams = Type.Object({ id: Id }, closed);
export const OrderItemParams = Type.Object({ id: Id, itemId: Id }, closed);

export const ListOrdersQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    status: Type.Optional(OrderStatusSchema),
    type: Type.Optional(OrderTypeSchema),
    /** Orders created at or after this instant. */
    from: Type.Optional(Type.String({ format: 'date-time' })),
    /** Orders created before this instant. */
    to: Type.Optional(Type.String({ format: 'date-time' })),
  },
  closed,
);
export type ListOrdersQuery = Static<typeof ListOrdersQuery>;

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const OrderItemView = Type.Object(
  {
    id: Type.String(),
    productId: Type.String(),
    productName: Type.String(),
    unitPriceCents: Type.Integer(),
    quantity: Type.Integer(),
    lineTotalCents: Type.Integer(),
    notes: Nullable(Type.String()),
    status: Type.Union([Type.Literal('pending'), Type.Literal('sent'), Type.Literal('voided')]),
    sentAt: Nullable(Type.String()),
    voidedAt: Nullable(Type.String()),
  },
  closed,
);

const orderFields = {
  id: Type.String(),
  number: Type.Integer(),
  businessDate: Type.String(),
  type: OrderTypeSchema,
  tableLabel: Nullable(Type.String()),
  customerId: Nullable(Type.String()),
  status: OrderStatusSchema,
  subtotalCents: Type.Integer(),
  discountCents: Type.Integer(),
  serviceFeeCents: Type.Integer(),
  totalCents: Type.Integer(),
  paidCents: Type.Integer(),
  notes: Nullable(Type.String()),
  cancelReason: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  closedAt: Nullable(Type.String()),
};

export const OrderSummaryView = Type.Object(orderFields, closed);
export const OrderView = Type.Object({ ...orderFields, items: Type.Array(OrderItemView) }, closed);

export const OrderPage = Type.Object(
  { items: Type.Array(OrderSummaryView), nextCursor: Nullable(Type.String()) },
  closed,
);
