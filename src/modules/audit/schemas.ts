import { Type, type Static, type TSchema } from '@sinclair/typebox';

import { AUDIT_EVENT_TYPES } from '../../audit/events.js';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const AuditEventType = Type.Union(AUDIT_EVENT_TYPES.map((type) => Type.Literal(type)));
export const AuditOutcome = Type.Union([
  Type.Literal('success'),
  Type.Literal('failure'),
  Type.Literal('denied'),
]);

/** Filters of the audit log; the restaurant is always the caller's, never a parameter. */
export const ListAuditEventsQuery = Type.Object(
  {
    eventType: Type.Optional(AuditEventType),
    action: Type.Optional(Type.String({ pattern: '^[a-z0-9_.]{1,64}$' })),
    actorId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    outcome: Type.Optional(AuditOutcome),
    from: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
    to: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
    minRisk: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  closed,
);
export type ListAuditEventsQuery = Static<typeof ListAuditEventsQuery>;

const DetailValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

export const AuditEventView = Type.Object({
  id: Type.String(),
  seq: Type.Integer(),
  occurredAt: Type.String(),
  eventType: Type.String(),
  action: Type.String(),
  outcome: Type.String(),
  riskScore: Type.Integer(),
  actor: Type.Object({
    type: Type.String(),
    id: Nullable(Type.String()),
    role: Nullable(Type.String()),
  }),
  source: Type.Object({
    ipPrefix: Nullable(Type.String()),
    ipHash: Nullable(Type.String()),
    requestId: Nullable(Type.String()),
  }),
  resource: Type.Union([
    Type.Object({ type: Type.String(), id: Nullable(Type.String()) }),
    Type.Null(),
  ]),
  details: Type.Record(Type.String(), DetailValue),
  prevHash: Type.String(),
  hash: Type.String(),
});
export type AuditEventView = Static<typeof AuditEventView>;

export const AuditEventPage = Type.Object({
  items: Type.Array(AuditEventView),
  nextCursor: Nullable(Type.String()),
});

export const ChainVerificationView = Type.Object({
  chainId: Type.String(),
  ok: Type.Boolean(),
  checked: Type.Integer(),
  firstBreak: Type.Union([
    Type.Object({
      seq: Type.Integer(),
      entryId: Nullable(Type.String()),
      reason: Type.String(),
    }),
    Type.Null(),
  ]),
});
