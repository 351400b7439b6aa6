import { validationError } from '../../core/errors.js';
import type { OrderType } from '../../infra/db/schema.js';

/**
 * The largest amount an order may reach. PostgreSQL stores cents in `integer` (32 bits), so an
 * order is refused well before it could overflow; it also keeps every product below in the
 * range where JavaScript numbers are exact integers (2e9 × 10,000 < 2^53).
 */
export const MAX_ORDER_CENTS = 2_000_000_000;

const BASIS_POINTS = 10_000;

export interface PricedLine {
  unitPriceCents: number;
  quantity: number;
  status: 'pending' | 'sent' | 'voided';
}

export interface OrderTotals {
  subtotalCents: number;
  /** The discount actually applied: never more than the subtotal. */
  discountCents: number;
  serviceFeeCents: number;
  totalCents: number;
}

export function lineTotalCents(line: Pick<PricedLine, 'unitPriceCents' | 'quantity'>): number {
  return line.unitPriceCents * line.quantity;
}

/** `amount × basisPoints / 10,000`, rounded half up to the cent (amounts are never negative). */
export function applyBasisPoints(amountCents: number, basisPoints: number): number {
  return Math.floor((amountCents * basisPoints + BASIS_POINTS / 2) / BASIS_POINTS);
}

/** The service fee applies to dine-in orders only: takeaway and delivery have no table service. */
export function serviceFeeApplies(type: OrderType): boolean {
  return type === 'dine_in';
}

/**
 * The order's money, all in integer cents:
 * - subtotal = Σ unit price × quantity over the lines that are not voided;
 * - discount = the requested discount, capped at the subtotal (a void can shrink the subtotal
 *   below a discount given earlier);
 * - service fee = (subtotal − discount) × the restaurant's basis points, rounded half up to the
 *   cent, for dine-in orders only;
 * - total = subtotal − discount + service fee.
 */
export function computeTotals(input: {
  lines: readonly PricedLine[];
  requestedDiscountCents: number;
  serviceFeeBasisPoints: number;
  type: OrderType;
}): OrderTotals {
  const subtotalCents = input.lines
    .filter((line) => line.status !== 'voided')
    .reduce((sum, line) => sum + lineTotalCents(line), 0);
  if (subtotalCents > MAX_ORDER_CENTS) {
    throw validationError([{ path: 'items', message: 'the order total is too large' }]);
  }

  const discountCents = Math.min(input.requestedDiscountCents, subtotalCents);
  const serviceFeeCents = serviceFeeApplies(input.type)
    ? applyBasisPoints(subtotalCents - discountCents, input.serviceFeeBasisPoints)
    : 0;
  const totalCents = subtotalCents - discountCents + serviceFeeCents;
  if (totalCents > MAX_ORDER_CENTS) {
    throw validationError([{ path: 'items', message: 'the order total is too large' }]);
  }
  return { subtotalCents, discountCents, serviceFeeCents, totalCents };
}

/**
 * The largest discount staff may give alone: `percent` of the subtotal, rounded down so the
 * limit never exceeds the configured percent.
 */
export function discountLimitCents(subtotalCents: number, percent: number): number {
  return Math.floor((subtotalCents * percent) / 100);
}
