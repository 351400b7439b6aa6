import { Type, type Static } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;

/** A drawer never holds more than a million reais; the bound keeps sums far from overflow. */
export const MAX_DRAWER_CENTS = 100_000_000;

const Cents = Type.Integer({ minimum: 0, maximum: MAX_DRAWER_CENTS });
const PositiveCents = Type.Integer({ minimum: 1, maximum: MAX_DRAWER_CENTS });
const Reason = Type.String({ minLength: 3, maxLength: 200 });
const ApprovalToken = Type.String({ minLength: 20, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });
const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

/** A terminal's own label (`caixa-1`), chosen by the restaurant. */
export const TerminalId = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
});

export const OpenSessionBody = Type.Object(
  { terminalId: TerminalId, openingFloatCents: Cents },
  closed,
);
export type OpenSessionBody = Static<typeof OpenSessionBody>;

export const WithdrawalBody = Type.Object(
  {
    amountCents: PositiveCents,
    reason: Reason,
    /** A manager approval (action `withdrawal`, resource the session) above the limit. */
    approvalToken: Type.Optional(ApprovalToken),
  },
  closed,
);
export type WithdrawalBody = Static<typeof WithdrawalBody>;

export const DepositBody = Type.Object({ amountCents: PositiveCents, reason: Reason }, closed);
export type DepositBody = Static<typeof DepositBody>;

export const CloseSessionBody = Type.Object({ countedCents: Cents }, closed);
export type CloseSessionBody = Static<typeof CloseSessionBody>;

export const SessionParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  closed,
);
export type SessionParams = Static<typeof SessionParams>;

export const SessionView = Type.Object({
  id: Type.String(),
  terminalId: Type.String(),
  operatorId: Type.String(),
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  openingFloatCents: Type.Integer(),
  cashSalesCents: Type.Integer(),
  cashRefundsCents: Type.Integer(),
  depositsCents: Type.Integer(),
  withdrawalsCents: Type.Integer(),
  /** Cash that should be in the drawer: float + sales − refunds + deposits − withdrawals. */
  expectedCents: Type.Integer(),
  countedCents: NullableInteger,
  differenceCents: NullableInteger,
  openedAt: Type.String(),
  closedAt: NullableString,
  closedBy: NullableString,
});
export type SessionView = Static<typeof SessionView>;

export const MovementView = Type.Object({
  id: Type.String(),
  sessionId: Type.String(),
  kind: Type.Union([Type.Literal('withdrawal'), Type.Literal('deposit')]),
  amountCents: Type.Integer(),
  reason: Type.String(),
  performedBy: Type.String(),
  approvedBy: NullableString,
  createdAt: Type.String(),
  session: SessionView,
});
export type MovementView = Static<typeof MovementView>;
