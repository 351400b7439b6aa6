import { describe, expect, it } from 'vitest';

import { containsSensitiveCardData } from './sensitive-data.js';

const TRACK_1 = '%B4111111111111111^DOE/JOHN^2512101000000000000000000000000?';
const TRACK_2 = ';4111111111111111=25121010000000000000?';

function nestedIn(levels: number, leaf: unknown): unknown {
  let value = leaf;
  for (let level = 0; level < levels; level++) {
    value = { wrapper: value };
  }
  return value;
}

describe('sensitive card data detection', () => {
  describe('flags keys that name card security data', () => {
    it.each([
      'cvv',
      'CVV',
      'cvc',
      'cvv2',
      'CVC2',
      'cid',
      'csc',
      'securityCode',
      'security_code',
      'security-code',
      'cardSecurityCode',
      'card_verification_value',
      'CardVerificationValue',
      'pin',
      'PIN',
      'pinBlock',
      'pin_block',
      'track',
      'track1',
      'Track_2',
      'trackData',
      'track-data',
      'magstripe',
      'magStripe',
      'magneticStripe',
      'magnetic_stripe',
      'cardCvv',
      'card_cvc',
      'paymentCvv2',
    ])('%s', (key) => {
      expect(containsSensitiveCardData({ [key]: '123' })).toBe(true);
    });

    it('whatever the value, even null or a number', () => {
      expect(containsSensitiveCardData({ cvv: null })).toBe(true);
      expect(containsSensitiveCardData({ cvv: 123 })).toBe(true);
      expect(containsSensitiveCardData({ pin: '' })).toBe(true);
    });

    it('nested in objects and arrays', () => {
      const body = {
        orderId: 'ord_1',
        payments: [
          { method: 'cash', amountCents: 1000 },
          { method: 'credit', card: { pan: '4111111111111111', details: [{ CVV: '123' }] } },
        ],
      };

      expect(containsSensitiveCardData(body)).toBe(true);
      expect(containsSensitiveCardData([[[{ pinBlock: 'ABCDEF' }]]])).toBe(true);
    });
  });

  describe('flags strings shaped like magnetic-stripe track data', () => {
    it.each([
      ['track 1 with sentinels', TRACK_1],
      ['track 1 without sentinels', 'B4111111111111111^DOE/JOHN^2512101'],
      ['the start of track 1', '%B5555555555554444^'],
      ['track 2 with sentinels', TRACK_2],
      ['track 2 with sentinels and a D separator', ';4111111111111111D2512101?'],
      ['track 2 without sentinels', '4111111111111111=2512101000'],
      ['track 2 inside other text', 'swipe: 378282246310005=2512101 ok'],
    ])('%s', (_label, text) => {
      expect(containsSensitiveCardData({ notes: text })).toBe(true);
      expect(containsSensitiveCardData(text)).toBe(true);
      expect(containsSensitiveCardData({ items: [{ notes: text }] })).toBe(true);
    });

    it('in a key as well as in a value', () => {
      expect(containsSensitiveCardData({ [TRACK_2]: true })).toBe(true);
    });
  });

  describe('does not flag ordinary restaurant bodies', () => {
    it.each([
      ['a note mentioning a pin', { notes: 'pin the order to table 4' }],
      ['a note mentioning the cvv', { notes: 'customer asked if we need the CVV: told no' }],
      ['a pinned flag', { pinned: true, pinnedAt: '2026-01-15T12:00:00Z' }],
      ['delivery tracking', { tracking: 'BR123456789', trackingUrl: 'https://t.example/1' }],
      ['a city (cidade contains cid)', { cidade: 'São Paulo', cidadeId: 3550308 }],
      ['a postal pin code', { pincode: '110001' }],
      ['terminal card reference', { brand: 'visa', last4: '1111', authCode: 'A1B2C3', nsu: '1' }],
      ['a manually keyed PAN alone', { pan: '4111111111111111', cardholderName: 'JOHN DOE' }],
      ['a security deposit', { securityDeposit: 5000 }],
      ['a barcode and CPF', { ean: '7891234567895', cpf: '123.456.789-09' }],
      ['an equals sign after a short number', { notes: 'combo 12=1234567 and 12345=1' }],
      ['a PAN followed by too few digits', { notes: '4111111111111111=2512' }],
    ])('%s', (_label, body) => {
      expect(containsSensitiveCardData(body)).toBe(false);
    });

    it('a full delivery order with customer and address', () => {
      const order = {
        type: 'delivery',
        tableId: null,
        customer: {
          name: "Maria O'Brien",
          phone: '+55 11 98765-4321',
          address: { street: 'Rua das Flores', number: '123', city: 'São Paulo', zip: '01310-100' },
        },
        items: [
          { productId: 'prd_1', quantity: 2, notes: 'no onions -- and extra cheese' },
          { productId: 'prd_2', quantity: 1, notes: 'pin: ask for table 4; track the driver' },
        ],
        discounts: [],
      };

      expect(containsSensitiveCardData(order)).toBe(false);
    });

    it.each([null, undefined, 0, 42, true, '', 'hello', [], {}])(
      'the scalar or empty %j',
      (body) => {
        expect(containsSensitiveCardData(body)).toBe(false);
      },
    );
  });

  describe('depth limit', () => {
    it('inspects bodies nested 32 levels deep', () => {
      expect(containsSensitiveCardData(nestedIn(32, 'safe'))).toBe(false);
      expect(containsSensitiveCardData(nestedIn(31, { cvv: '123' }))).toBe(true);
    });

    it('treats anything deeper as sensitive rather than let it through unchecked', () => {
      expect(containsSensitiveCardData(nestedIn(33, 'safe'))).toBe(true);
    });

    it('terminates on a cyclic object', () => {
      const cyclic: Record<string, unknown> = { name: 'loop' };
      cyclic.self = cyclic;

      expect(containsSensitiveCardData(cyclic)).toBe(true);
    });
  });
});
