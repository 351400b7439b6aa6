import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { businessDate } from './business-day.js';
import {
  applyBasisPoints,
  computeTotals,
  discountLimitCents,
  MAX_ORDER_CENTS,
  type PricedLine,
} from './totals.js';

const line = (
  unitPriceCents: number,
  quantity: number,
  status: PricedLine['status'] = 'pending',
) => ({
  unitPriceCents,
  quantity,
  status,
});

describe('order totals', () => {
  it('adds the non-voided lines, takes the discount off and adds the dine-in service fee', () => {
    const totals = computeTotals({
      lines: [line(2590, 1), line(650, 2), line(9999, 3, 'voided')],
      requestedDiscountCents: 390,
      serviceFeeBasisPoints: 1000,
      type: 'dine_in',
    });

    expect(totals).toEqual({
      subtotalCents: 3890,
      discountCents: 390,
      serviceFeeCents: 350,
      totalCents: 3850,
    });
  });

  it('charges no service fee on takeaway or delivery', () => {
    for (const type of ['takeaway', 'delivery'] as const) {
      const totals = computeTotals({
        lines: [line(1000, 1)],
        requestedDiscountCents: 0,
        serviceFeeBasisPoints: 1000,
        type,
      });
      expect(totals.serviceFeeCents).toBe(0);
      expect(totals.totalCents).toBe(1000);
    }
  });

  it('rounds the service fee half up to the cent', () => {
    expect(applyBasisPoints(1005, 1000)).toBe(101); // 100.5 → 101
    expect(applyBasisPoints(1004, 1000)).toBe(100); // 100.4 → 100
    expect(applyBasisPoints(15, 1000)).toBe(2); // 1.5 → 2
    expect(applyBasisPoints(14, 1000)).toBe(1); // 1.4 → 1
  });

  it('caps a discount at the subtotal once voids shrink it', () => {
    const totals = computeTotals({
      lines: [line(1000, 1), line(500, 1, 'voided')],
      requestedDiscountCents: 1200,
      serviceFeeBasisPoints: 1000,
      type: 'dine_in',
    });
    expect(totals).toEqual({
      subtotalCents: 1000,
      discountCents: 1000,
      serviceFeeCents: 0,
      totalCents: 0,
    });
  });

  it('refuses an order whose total would not fit the database', () => {
    expect(() =>
      computeTotals({
        lines: [line(MAX_ORDER_CENTS, 1), line(1, 1)],
        requestedDiscountCents: 0,
        serviceFeeBasisPoints: 0,
        type: 'takeaway',
      }),
    ).toThrow(expect.objectContaining({ code: 'POS_ERR_VALIDATION' }));
  });

  it('sets the staff discount limit at or under the configured percent', () => {
    expect(discountLimitCents(3890, 10)).toBe(389);
    expect(discountLimitCents(3899, 10)).toBe(389);
    expect(discountLimitCents(3890, 0)).toBe(0);
  });

  it('keeps every amount an integer and total = subtotal − discount + fee (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            unitPriceCents: fc.integer({ min: 0, max: 100_000 }),
            quantity: fc.integer({ min: 1, max: 99 }),
            status: fc.constantFrom('pending', 'sent', 'voided'),
          }),
          { maxLength: 50 },
        ),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.constantFrom('dine_in', 'takeaway', 'delivery'),
        (lines, discount, basisPoints, type) => {
          const totals = computeTotals({
            lines,
            requestedDiscountCents: discount,
            serviceFeeBasisPoints: basisPoints,
            type,
          });
          const amounts = Object.values(totals);
          expect(amounts.every(Number.isSafeInteger)).toBe(true);
          expect(amounts.every((amount) => amount >= 0)).toBe(true);
          expect(totals.discountCents).toBeLessThanOrEqual(totals.subtotalCents);
          expect(totals.totalCents).toBe(
            totals.subtotalCents - totals.discountCents + totals.serviceFeeCents,
          );
          const exactFee = ((totals.subtotalCents - totals.discountCents) * basisPoints) / 10_000;
          const fee = type === 'dine_in' ? exactFee : 0;
          expect(Math.abs(totals.serviceFeeCents - fee)).toBeLessThanOrEqual(0.5);
        },
      ),
    );
  });
});

describe('business day', () => {
  it('follows the restaurant time zone, not UTC', () => {
    // 02:30 UTC on the 16th is still the evening of the 15th in São Paulo (UTC−3).
    const lateEvening = new Date('2026-01-16T02:30:00.000Z');
    expect(businessDate(lateEvening, 'America/Sao_Paulo')).toBe('2026-01-15');
    expect(businessDate(lateEvening, 'UTC')).toBe('2026-01-16');
    expect(businessDate(new Date('2026-01-16T03:00:00.000Z'), 'America/Sao_Paulo')).toBe(
      '2026-01-16',
    );
  });

  it('gives the day a fresh formatter gives, in any order of instants and zones', () => {
    const zones = ['America/Sao_Paulo', 'America/Manaus', 'Asia/Kolkata', 'Asia/Kathmandu', 'UTC'];
    const midnight = Date.parse('2026-03-01T03:00:00.000Z');
    const instant = fc.oneof(
      fc.integer({ min: midnight - 90_000, max: midnight + 90_000 }),
      fc.integer({ min: Date.parse('2020-01-01'), max: Date.parse('2035-01-01') }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(instant, fc.constantFrom(...zones)), { minLength: 1 }),
        (asks) => {
          for (const [ms, timeZone] of asks) {
            const expected = new Intl.DateTimeFormat('en-CA', {
              timeZone,
              year: 'numeric',
              month: '2-digit',
              day: '2-digit',
            }).format(new Date(ms));
            expect(businessDate(new Date(ms), timeZone)).toBe(expected);
          }
        },
      ),
    );
  });
});
