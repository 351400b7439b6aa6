import { Type, type Static, type TSchema } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ListAlertsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  closed,
);
export type ListAlertsQuery = Static<typeof ListAlertsQuery>;

export const DeliveryStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('delivered'),
  Type.Literal('failed'),
  Type.Literal('not_configured'),
]);

export const AlertView = Type.Object({
  id: Type.String(),
  auditEventId: Type.String(),
  seq: Type.Integer(),
  eventType: Type.String(),
  action: Type.String(),
  outcome: Type.String(),
  riskScore: Type.Integer(),
  occurredAt: Type.String(),
  createdAt: Type.String(),
  delivery: Type.Object({
    status: DeliveryStatus,
    attempts: Type.Integer(),
    lastError: Nullable(Type.String()),
    deliveredAt: Nullable(Type.String()),
  }),
});
export type AlertView = Static<typeof AlertView>;

export const AlertPage = Type.Object({
  items: Type.Array(AlertView),
  nextCursor: Nullable(Type.String()),
});
