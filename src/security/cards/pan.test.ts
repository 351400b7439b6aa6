import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AppError } from '../../core/errors.js';
import { cardBrand, luhnValid, maskPan, normalizePan } from './pan.js';

/** Published test numbers of the card schemes; none is a real account. */
const TEST_PANS = {
  visa: '4111111111111111',
  mastercard: '5555555555554444',
  amex: '378282246310005',
  elo: '6362970000457013',
};

/** Appends the Luhn check digit, to make valid PANs of any length for property tests. */
function withCheckDigit(body: string): string {
  for (let digit = 0; digit <= 9; digit++) {
    if (luhnValid(body + String(digit))) {
      return body + String(digit);
    }
  }
  throw new Error('unreachable: one check digit always fits');
}

const digitString = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength, maxLength });

const validPan = digitString(12, 18).map(withCheckDigit);

function expectInvalidCardNumber(run: () => unknown): void {
  expect(run).toThrow(AppError);
  expect(run).toThrow(expect.objectContaining({ code: 'POS_ERR_INVALID_CARD_NUMBER' }));
}

describe('card numbers', () => {
  describe('luhnValid', () => {
    it.each(Object.entries(TEST_PANS))('accepts the %s test number', (_brand, pan) => {
      expect(luhnValid(pan)).toBe(true);
    });

    it('rejects every one-digit change of a valid test number', () => {
      for (const pan of Object.values(TEST_PANS)) {
        for (let position = 0; position < pan.length; position++) {
          for (let digit = 0; digit <= 9; digit++) {
            if (pan[position] === String(digit)) continue;
            const mutated = pan.slice(0, position) + String(digit) + pan.slice(position + 1);
            expect(luhnValid(mutated), mutated).toBe(false);
          }
        }
      }
    });

    it('rejects a swap of two adjacent different digits', () => {
      expect(luhnValid('4111111111111111')).toBe(true);
      expect(luhnValid('1411111111111111')).toBe(false);
    });

    it.each(['', ' ', '4111 1111 1111 1111', '4111-1111-1111-1111', '411111111111111a', '٤١١١'])(
      'rejects %j, which is not a string of ASCII digits',
      (input) => {
        expect(luhnValid(input)).toBe(false);
      },
    );
  });

  describe('normalizePan', () => {
    it('strips spaces and dashes', () => {
      expect(normalizePan('4111 1111-1111 1111')).toBe('4111111111111111');
      expect(normalizePan(' 3782-822463-10005 ')).toBe('378282246310005');
    });

    it('accepts any Luhn-valid number of 13 to 19 digits', () => {
      fc.assert(
        fc.property(validPan, (pan) => {
          expect(normalizePan(pan)).toBe(pan);
        }),
      );
    });

    it.each([
      ['12 digits', withCheckDigit('41111111111')],
      ['20 digits', withCheckDigit('4111111111111111111')],
      ['a failed Luhn check', '4111111111111112'],
      ['letters', '4111 1111 1111 111O'],
      ['dots', '4111.1111.1111.1111'],
      ['an empty string', ''],
    ])('rejects %s with POS_ERR_INVALID_CARD_NUMBER', (_label, input) => {
      expectInvalidCardNumber(() => normalizePan(input));
    });

    it('never repeats the number in the error', () => {
      try {
        normalizePan('4111111111111112');
        expect.unreachable();
      } catch (error) {
        expect((error as AppError).message).not.toMatch(/\d{4}/);
        expect((error as AppError).fields).toBeUndefined();
      }
    });
  });

  describe('maskPan', () => {
    it('shows the first 6 and last 4 digits and masks the rest', () => {
      expect(maskPan('4111111111111111')).toBe('411111******1111');
      expect(maskPan('378282246310005')).toBe('378282*****0005');
      expect(maskPan('4222222222222')).toBe('422222***2222');
      expect(maskPan('6362 9700 0045 7013')).toBe('636297******7013');
    });

    it('never reveals more than 10 digits and keeps the length, for any PAN length', () => {
      fc.assert(
        fc.property(digitString(13, 19), (pan) => {
          const masked = maskPan(pan);

          expect(masked).toHaveLength(pan.length);
          expect(masked.replace(/\D/g, '').length).toBeLessThanOrEqual(10);
          expect(masked.slice(6, -4)).toMatch(/^\*+$/);
          expect(masked.slice(0, 6) + masked.slice(-4)).toBe(pan.slice(0, 6) + pan.slice(-4));
        }),
      );
    });

    it('refuses anything short enough that 6 + 4 digits would reveal it all', () => {
      fc.assert(
        fc.property(digitString(0, 12), (pan) => {
          expectInvalidCardNumber(() => maskPan(pan));
        }),
      );
    });

    it('refuses input that is not a card number', () => {
      expectInvalidCardNumber(() => maskPan('4111111111111111111111'));
      expectInvalidCardNumber(() => maskPan('card 4111111111111111'));
    });
  });

  describe('cardBrand', () => {
    it.each([
      ['4111111111111111', 'visa'],
      ['4012888888881881', 'visa'],
      ['5555555555554444', 'mastercard'],
      ['5105105105105100', 'mastercard'],
      ['2221000000000009', 'mastercard'],
      ['2720990000000007', 'mastercard'],
      ['378282246310005', 'amex'],
      ['341111111111111', 'amex'],
      ['6362970000457013', 'elo'],
      ['5067000000000000', 'elo'],
      ['4011780000000000', 'elo'],
      ['6504050000000000', 'elo'],
      ['6062825624254001', 'hipercard'],
      ['3841001111222233334', 'hipercard'],
      ['6011111111111117', 'other'],
      ['3530111333300000', 'other'],
      ['2720a', 'other'],
      ['', 'other'],
    ])('reads %s as %s', (pan, brand) => {
      expect(cardBrand(pan)).toBe(brand);
    });

    it('reads Elo ranges inside the Visa prefix as Elo, the rest of 4 as Visa', () => {
      expect(cardBrand('4389350000000000')).toBe('elo');
      expect(cardBrand('4389360000000000')).toBe('visa');
    });
  });
});
