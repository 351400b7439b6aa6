import { getPixPayloadInfo } from '@brazilian-utils/brazilian-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AppError } from '../../../core/errors.js';
import {
  buildPixPayload,
  crc16CcittFalse,
  foldBrCodeText,
  formatPixAmount,
  generatePixTxid,
  parsePixPayload,
  verifyPixCrc,
  type PixPayloadInput,
} from './br-code.js';

/**
 * A second CRC-16/CCITT-FALSE written differently from the one under test (table-driven, over
 * char codes) so that a shared mistake is unlikely. Payloads are ASCII, so char codes are bytes.
 */
const CRC_TABLE = Array.from({ length: 256 }, (_, index) => {
  let value = index << 8;
  for (let bit = 0; bit < 8; bit++) {
    value = (value & 0x8000 ? (value << 1) ^ 0x1021 : value << 1) & 0xffff;
  }
  return value;
});

function independentCrc(text: string): string {
  let crc = 0xffff;
  for (let index = 0; index < text.length; index++) {
    crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ text.charCodeAt(index)) & 0xff]!;
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

const EVP_KEY = '123e4567-e12b-12d1-a456-426655440000';

const baseInput: PixPayloadInput = {
  key: EVP_KEY,
  merchantName: 'Padaria São João',
  merchantCity: 'São Paulo',
  amountCents: 1250,
  txid: 'ORDER0001ABC',
};

function rejectedPaths(build: () => unknown): string[] {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('POS_ERR_VALIDATION');
    return ((error as AppError).fields ?? []).map((field) => field.path);
  }
  throw new Error('expected the input to be rejected');
}

const FOLDABLE_CHARACTERS = [..."ABCXYZabcxyz0189 ÀÁÂÃÇÉÊÍÓÔÕÚàáâãçéêíóôõú'&.-"];

const foldableText = (maxLength: number) =>
  fc
    .string({ unit: fc.constantFrom(...FOLDABLE_CHARACTERS), minLength: 1, maxLength })
    .filter((text) => foldBrCodeText(text) !== '');

const payloadInput: fc.Arbitrary<PixPayloadInput> = fc.record(
  {
    key: fc.uuid(),
    merchantName: foldableText(40),
    merchantCity: foldableText(30),
    amountCents: fc.integer({ min: 1, max: 999_999_999_999 }),
    txid: fc.stringMatching(/^[A-Za-z0-9]{1,25}$/),
    description: foldableText(30),
  },
  { requiredKeys: ['key', 'merchantName', 'merchantCity', 'amountCents', 'txid'] },
);

describe('PIX BR Code', () => {
  describe('CRC16', () => {
    it('gives the CRC-16/CCITT-FALSE check value 29B1 for "123456789"', () => {
      expect(crc16CcittFalse('123456789')).toBe('29B1');
    });

    it('gives FFFF, the initial value, for empty input', () => {
      expect(crc16CcittFalse('')).toBe('FFFF');
    });

    it('agrees with an independent table-driven CRC on arbitrary ASCII', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary-ascii', maxLength: 300 }), (text) => {
          expect(crc16CcittFalse(text)).toBe(independentCrc(text));
        }),
      );
    });

    it('verifies the example payload of the BCB manual (CRC 1D3D)', () => {
      const example =
        '00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000' +
        '5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D';

      expect(independentCrc(example.slice(0, -4))).toBe('1D3D');
      expect(crc16CcittFalse(example.slice(0, -4))).toBe('1D3D');
      expect(verifyPixCrc(example)).toBe(true);
    });
  });

  describe('buildPixPayload', () => {
    it('writes every field of a single-use charge in order, ending in a correct CRC', () => {
      const payload = buildPixPayload({ ...baseInput, description: 'Mesa 4' });

      const expectedWithoutCrc =
        '000201' +
        '010212' +
        '2668' +
        '0014br.gov.bcb.pix' +
        `0136${EVP_KEY}` +
        '0206MESA 4' +
        '52040000' +
        '5303986' +
        '540512.50' +
        '5802BR' +
        '5916PADARIA SAO JOAO' +
        '6009SAO PAULO' +
        '62160512ORDER0001ABC' +
        '6304';
      expect(payload.slice(0, -4)).toBe(expectedWithoutCrc);
      expect(payload.slice(-4)).toBe(independentCrc(expectedWithoutCrc));
    });

    it('ends with a CRC that an independent implementation agrees with, for any input', () => {
      fc.assert(
        fc.property(payloadInput, (input) => {
          const payload = buildPixPayload(input);

          expect(payload.slice(-8, -4)).toBe('6304');
          expect(payload.slice(-4)).toMatch(/^[0-9A-F]{4}$/);
          expect(payload.slice(-4)).toBe(independentCrc(payload.slice(0, -4)));
          expect(verifyPixCrc(payload)).toBe(true);
        }),
      );
    });

    it('parses back to the fields it was given', () => {
      fc.assert(
        fc.property(payloadInput, (input) => {
          const fields = parsePixPayload(buildPixPayload(input));
          const account = parsePixPayload(fields.get('26')!);
          const additional = parsePixPayload(fields.get('62')!);

          expect([...fields.keys()]).toEqual([
            '00',
            '01',
            '26',
            '52',
            '53',
            '54',
            '58',
            '59',
            '60',
            '62',
            '63',
          ]);
          expect(fields.get('01')).toBe('12');
          expect(account.get('00')).toBe('br.gov.bcb.pix');
          expect(account.get('01')).toBe(input.key);
          expect(account.get('02')).toBe(
            input.description === undefined ? undefined : foldBrCodeText(input.description),
          );
          expect(Math.round(Number(fields.get('54')) * 100)).toBe(input.amountCents);
          expect(fields.get('59')).toBe(foldBrCodeText(input.merchantName).slice(0, 25).trim());
          expect(fields.get('60')).toBe(foldBrCodeText(input.merchantCity).slice(0, 15).trim());
          expect(additional.get('05')).toBe(input.txid);
          for (const value of fields.values()) {
            expect(value.length).toBeLessThanOrEqual(99);
          }
        }),
      );
    });

    it('is read as a single-use charge by an independent BR Code parser', () => {
      const info = getPixPayloadInfo(buildPixPayload(baseInput));

      expect(info).toEqual({
        key: EVP_KEY,
        merchantName: 'PADARIA SAO JOAO',
        merchantCity: 'SAO PAULO',
        amount: 12.5,
        txid: 'ORDER0001ABC',
        pointOfInitiation: 'dynamic',
      });
    });

    it('writes the PIX key in its DICT canonical form', () => {
      const payload = buildPixPayload({ ...baseInput, key: '(11) 98765-4321' });

      const account = parsePixPayload(parsePixPayload(payload).get('26')!);
      expect(account.get('01')).toBe('+5511987654321');
    });

    it('cuts the merchant name to 25 and the city to 15 characters, without a trailing space', () => {
      const payload = buildPixPayload({
        ...baseInput,
        merchantName: 'Restaurante e Pizzaria Bella Napoli',
        merchantCity: 'São José dos Campos',
      });

      const fields = parsePixPayload(payload);
      expect(fields.get('59')).toBe('RESTAURANTE E PIZZARIA BE');
      expect(fields.get('60')).toBe('SAO JOSE DOS CA');
    });

    it('leaves the description out when it folds to nothing', () => {
      const payload = buildPixPayload({ ...baseInput, description: '🍕🍕' });

      const account = parsePixPayload(parsePixPayload(payload).get('26')!);
      expect(account.has('02')).toBe(false);
    });
  });

  describe('amount', () => {
    it.each([
      [1, '0.01'],
      [10, '0.10'],
      [100, '1.00'],
      [1050, '10.50'],
      [123_456, '1234.56'],
      [999_999_999_999, '9999999999.99'],
    ])('writes %i cents as %s', (cents, amount) => {
      expect(formatPixAmount(cents)).toBe(amount);
    });

    it.each([0, -100, 12.5, Number.NaN, Number.POSITIVE_INFINITY, 1_000_000_000_000])(
      'rejects %s cents, naming the amount',
      (amountCents) => {
        expect(rejectedPaths(() => buildPixPayload({ ...baseInput, amountCents }))).toEqual([
          '/amountCents',
        ]);
      },
    );
  });

  describe('text folding', () => {
    it.each([
      ['Padaria São João', 'PADARIA SAO JOAO'],
      ['Açaí & Cia.', 'ACAI CIA'],
      ["D'Ávila Bar", 'DAVILA BAR'],
      ['  Café   Doçura  ', 'CAFE DOCURA'],
      ['Brasília', 'BRASILIA'],
      ['Lanchonete 24h', 'LANCHONETE 24H'],
    ])('folds %j to %j (upper case, A-Z, 0-9 and single spaces)', (text, folded) => {
      expect(foldBrCodeText(text)).toBe(folded);
    });

    it('never leaves anything but A-Z, 0-9 and single inner spaces', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (text) => {
          const folded = foldBrCodeText(text);

          expect(folded).toMatch(/^[A-Z0-9 ]*$/);
          expect(folded).not.toContain('  ');
          expect(folded).toBe(folded.trim());
        }),
      );
    });
  });

  describe('rejects input it cannot encode, naming the field', () => {
    it.each([
      ['a key that is no PIX key', { key: 'not a pix key' }, '/key'],
      ['an e-mail key longer than 77 characters', { key: `${'a'.repeat(70)}@example.com` }, '/key'],
      ['an empty txid', { txid: '' }, '/txid'],
      ['a txid longer than 25 characters', { txid: 'A'.repeat(26) }, '/txid'],
      ['a txid with a hyphen', { txid: 'ORDER-1' }, '/txid'],
      ['a txid with an accent', { txid: 'PEDIDOÇ' }, '/txid'],
      ['a name with no letters or digits', { merchantName: '🍔 & 🍟' }, '/merchantName'],
      ['an empty city', { merchantCity: '   ' }, '/merchantCity'],
    ])('%s', (_label, override, path) => {
      expect(rejectedPaths(() => buildPixPayload({ ...baseInput, ...override }))).toEqual([path]);
    });

    it('a description that would push the account field past 99 characters', () => {
      // GUI (18) + EVP key (40) leaves 41 characters: a 4-character header and 37 of text.
      const fits = buildPixPayload({ ...baseInput, description: 'D'.repeat(37) });
      expect(verifyPixCrc(fits)).toBe(true);

      expect(
        rejectedPaths(() => buildPixPayload({ ...baseInput, description: 'D'.repeat(38) })),
      ).toEqual(['/description']);
    });

    it('never repeats the rejected input in the error', () => {
      try {
        buildPixPayload({ ...baseInput, key: 'secret-looking-value' });
        expect.unreachable();
      } catch (error) {
        expect(
          JSON.stringify({ ...(error as AppError), message: (error as AppError).message }),
        ).not.toContain('secret-looking-value');
      }
    });
  });

  describe('parsePixPayload', () => {
    it('splits top-level fields by ID', () => {
      const fields = parsePixPayload('000201010212');

      expect([...fields]).toEqual([
        ['00', '01'],
        ['01', '12'],
      ]);
    });

    it.each([
      ['an empty string', ''],
      ['a header cut short', '000'],
      ['a value cut short', '00020'],
      ['a non-numeric ID', 'AB0201'],
      ['a non-numeric length', '00X201'],
      ['a zero length', '0000'],
      ['a repeated ID', '000201000201'],
      ['trailing bytes', '00020101'],
    ])('rejects %s', (_label, payload) => {
      expect(rejectedPaths(() => parsePixPayload(payload))).toEqual(['/payload']);
    });
  });

  describe('verifyPixCrc', () => {
    const payload = buildPixPayload(baseInput);

    it('accepts the payload as built, and with the CRC in lower case', () => {
      expect(verifyPixCrc(payload)).toBe(true);
      expect(verifyPixCrc(payload.slice(0, -4) + payload.slice(-4).toLowerCase())).toBe(true);
    });

    it('rejects any payload with one character changed', () => {
      fc.assert(
        fc.property(
          fc.nat({ max: payload.length - 1 }),
          fc.constantFrom(...'0123456789ABCDEFXYZ.'),
          (position, replacement) => {
            fc.pre(payload[position] !== replacement);
            const tampered = payload.slice(0, position) + replacement + payload.slice(position + 1);
            expect(verifyPixCrc(tampered)).toBe(false);
          },
        ),
      );
    });

    it.each([
      ['no CRC field', () => payload.slice(0, -8)],
      ['a CRC that is not hex', () => `${payload.slice(0, -4)}12G4`],
      ['a CRC field that is not last', () => `${payload}5802BR`],
      ['garbage', () => 'hello world'],
      ['an empty string', () => ''],
    ])('rejects %s', (_label, make) => {
      expect(verifyPixCrc(make())).toBe(false);
    });
  });

  describe('generatePixTxid', () => {
    it('makes 25 letters and digits, different each time', () => {
      const first = generatePixTxid();
      const second = generatePixTxid();

      expect(first).toMatch(/^[A-Za-z0-9]{25}$/);
      expect(second).toMatch(/^[A-Za-z0-9]{25}$/);
      expect(first).not.toBe(second);
    });

    it('maps injected bytes to the alphabet, skipping bytes that would bias it', () => {
      const bytes = [0, 25, 26, 51, 52, 61, 62, 247, 248, 255, ...Array<number>(30).fill(1)];
      const random = (size: number) => Uint8Array.from(bytes.splice(0, size));

      expect(generatePixTxid(random)).toBe(`AZaz09A9${'B'.repeat(17)}`);
    });

    it('always makes a valid txid from any source with 25 usable bytes', () => {
      const pool = fc
        .uint8Array({ minLength: 25, maxLength: 512 })
        .filter((bytes) => bytes.filter((byte) => byte < 248).length >= 25);

      fc.assert(
        fc.property(pool, (bytes) => {
          let offset = 0;
          const random = (size: number) => {
            const block = new Uint8Array(size).fill(255);
            block.set(bytes.subarray(offset, offset + size));
            offset += size;
            return block;
          };
          expect(generatePixTxid(random)).toMatch(/^[A-Za-z0-9]{25}$/);
        }),
      );
    });

    it('fails instead of looping when the random source gives only unusable bytes', () => {
      const broken = (size: number) => new Uint8Array(size).fill(255);

      expect(() => generatePixTxid(broken)).toThrow(
        expect.objectContaining({ code: 'POS_ERR_INTERNAL' }),
      );
    });
  });
});
