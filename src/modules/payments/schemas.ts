import { Type, type Static } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;

/** One payment never exceeds a million reais; the bound keeps sums far from overflow. */
const MAX_PAYMENT_CENTS = 100_000_000;
const PositiveCents = Type.Integer({ minimum: 1, maximum: MAX_PAYMENT_CENTS });
const Id = Type.String({ minLength: 1, maxLength: 64 });
const Reference = Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9._-]+$' });
const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);
const ApprovalToken = Type.String({ minLength: 20, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });

export const PAYMENT_METHODS = ['cash', 'credit', 'debit', 'pix', 'voucher'] as const;
export const PAYMENT_STATUSES = ['captured', 'pending', 'cancelled'] as const;
const CARD_BRANDS = ['visa', 'mastercard', 'amex', 'elo', 'hipercard', 'other'] as const;

const literals = <T extends string>(values: readonly T[]) =>
  Type.Union(values.map((value) => Type.Literal(value)));

/** What the card terminal printed: never the card number itself. */
export const TerminalCard = Type.Object(
  {
    brand: literals(CARD_BRANDS),
    last4: Type.String({ pattern: '^[0-9]{4}$' }),
    authorizationCode: Reference,
    nsu: Reference,
  },
  closed,
);
export type TerminalCard = Static<typeof TerminalCard>;

/** A manually keyed card number (SPEC 5.6): Luhn-checked, stored encrypted, shown masked. */
export const KeyedCard = Type.Object(
  {
    pan: Type.String({ minLength: 13, maxLength: 23, pattern: '^[0-9 -]+$' }),
    authorizationCode: Type.Optional(Reference),
    nsu: Type.Optional(Reference),
  },
  closed,
);
export type KeyedCard = Static<typeof KeyedCard>;

export const PaymentBody = Type.Object(
  {
    method: literals(PAYMENT_METHODS),
    amountCents: PositiveCents,
    /** Cash only: what the customer handed over; the change is computed. */
    tenderedCents: Type.Optional(PositiveCents),
    /** Credit and debit only. */
    card: Type.Optional(Type.Union([TerminalCard, KeyedCard])),
    /** Voucher only: the meal-voucher network and its authorization. */
    voucher: Type.Optional(
      Type.Object(
        {
          provider: Type.String({ minLength: 2, maxLength: 40 }),
          authorizationCode: Type.Optional(Reference),
        },
        closed,
      ),
    ),
  },
  closed,
);
export type PaymentBody = Static<typeof PaymentBody>;

export const RefundBody = Type.Object(
  {
    amountCents: PositiveCents,
    reason: Type.String({ minLength: 3, maxLength: 200 }),
    /** A manager approval (action `refund`, resource the payment, this amount). */
    approvalToken: Type.Optional(ApprovalToken),
  },
  closed,
);
export type RefundBody = Static<typeof RefundBody>;

export const OrderParams = Type.Object({ id: Id }, closed);
export type OrderParams = Static<typeof OrderParams>;

export const PaymentParams = Type.Object({ id: Id }, closed);
export type PaymentParams = Static<typeof PaymentParams>;

export const ListPaymentsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    orderId: Type.Optional(Id),
    method: Type.Optional(literals(PAYMENT_METHODS)),
    status: Type.Optional(literals(PAYMENT_STATUSES)),
    cashierSessionId: Type.Optional(Id),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
  },
  closed,
);
export type ListPaymentsQuery = Static<typeof ListPaymentsQuery>;

export const OrderBalanceView = Type.Object({
  id: Type.String(),
  status: Type.String(),
  totalCents: Type.Integer(),
  paidCents: Type.Integer(),
  remainingCents: Type.Integer(),
});

export const PaymentView = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  method: literals(PAYMENT_METHODS),
  status: literals(PAYMENT_STATUSES),
  amountCents: Type.Integer(),
  refundedCents: Type.Integer(),
  tenderedCents: NullableInteger,
  changeCents: NullableInteger,
  cashierSessionId: NullableString,
  card: Type.Union([
    Type.Object({
      entry: Type.Union([Type.Literal('terminal'), Type.Literal('manual')]),
      brand: NullableString,
      last4: NullableString,
      /** At most the first 6 and last 4 digits (manual entry only). */
      maskedPan: NullableString,
      authorizationCode: NullableString,
      nsu: NullableString,
    }),
    Type.Null(),
  ]),
  voucher: Type.Union([
    Type.Object({ provider: Type.String(), authorizationCode: NullableString }),
    Type.Null(),
  ]),
  pix: Type.Union([Type.Object({ txid: Type.String(), payload: Type.String() }), Type.Null()]),
  createdBy: Type.String(),
  createdAt: Type.String(),
  capturedAt: NullableString,
  cancelledAt: NullableString,
});
export type PaymentView = Static<typeof PaymentView>;

/** A payment as written, with the order's balance after it. */
export const PaymentResult = Type.Composite([
  PaymentView,
  Type.Object({ order: OrderBalanceView }),
]);
export type PaymentResult = Static<typeof PaymentResult>;

export const PaymentList = Type.Object({
  items: Type.Array(PaymentView),
  nextCursor: NullableString,
});

export const RefundView = Type.Object({
  id: Type.String(),
  paymentId: Type.String(),
  orderId: Type.String(),
  amountCents: Type.Integer(),
  reason: Type.String(),
  cashierSessionId: NullableString,
  createdBy: Type.String(),
  approvedBy: NullableString,
  createdAt: Type.String(),
  payment: PaymentView,
  order: OrderBalanceView,
});
export type RefundView = Static<typeof RefundView>;

export const PixWebhookBody = Type.Object(
  {
    eventId: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' }),
    txid: Type.String({ pattern: '^[A-Za-z0-9]{1,35}$' }),
    amountCents: PositiveCents,
    endToEndId: Type.Optional(Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9]*$' })),
  },
  closed,
);
export type PixWebhookBody = Static<typeof PixWebhookBody>;

export const PixWebhookResult = Type.Object({
  status: Type.Union([
    Type.Literal('captured'),
    Type.Literal('duplicate'),
    Type.Literal('already_captured'),
    Type.Literal('not_applied'),
  ]),
});
export type PixWebhookResult = Static<typeof PixWebhookResult>;
