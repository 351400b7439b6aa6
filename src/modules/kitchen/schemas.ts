import { Type, type Static } from '@sinclair/typebox';

import { TICKET_STATUSES } from './ticket-state.js';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const TicketStatusSchema = Type.Union(TICKET_STATUSES.map((status) => Type.Literal(status)));

export const TicketParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  closed,
);

/** A ticket move carries its status and nothing else: the kitchen changes no item or price. */
export const MoveTicketBody = Type.Object({ status: TicketStatusSchema }, closed);
export type MoveTicketBody = Static<typeof MoveTicketBody>;

export const ListTicketsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    status: Type.Optional(TicketStatusSchema),
  },
  closed,
);
export type ListTicketsQuery = Static<typeof ListTicketsQuery>;

export const TicketView = Type.Object(
  {
    id: Type.String(),
    orderId: Type.String(),
    orderNumber: Type.Integer(),
    orderType: Type.String(),
    tableLabel: Nullable(Type.String()),
    status: TicketStatusSchema,
    items: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          productName: Type.String(),
          quantity: Type.Integer(),
          notes: Nullable(Type.String()),
          voided: Type.Boolean(),
        },
        closed,
      ),
    ),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  closed,
);

export const TicketPage = Type.Object(
  {
    items: Type.Array(TicketView),
    nextCursor: Nullable(Type.String()),
    lastEventId: Type.String(),
  },
  closed,
);
