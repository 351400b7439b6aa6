import { Type, type Static } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;

export const BlockedIpView = Type.Object({
  id: Type.String(),
  /** An IPv4 address, or the first address of a blocked IPv6 /64. */
  address: Type.String(),
  reason: Type.Union([
    Type.Literal('manual'),
    Type.Literal('threat_detected'),
    Type.Literal('brute_force'),
  ]),
  note: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  expiresAt: Type.String(),
});
export type BlockedIpView = Static<typeof BlockedIpView>;

export const BlockIpBody = Type.Object(
  {
    address: Type.String({ minLength: 2, maxLength: 45 }),
    /** CHEFIA_IP_BLOCK_MINUTES when left out; 30 days at most. */
    durationMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 43_200 })),
    /** Why, for the next admin; kept with the block, never copied into the audit trail. */
    note: Type.Optional(Type.String({ maxLength: 200 })),
  },
  closed,
);
export type BlockIpBody = Static<typeof BlockIpBody>;

export const BlockedIpParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  closed,
);

export const ListBlockedIpsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  closed,
);

export const BlockedIpPage = Type.Object({
  items: Type.Array(BlockedIpView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
