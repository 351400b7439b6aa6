import { generateCnpj, generateCpf } from '@brazilian-utils/brazilian-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AppError } from '../../core/errors.js';
import {
  formatCnpj,
  formatCpf,
  maskAddress,
  maskBirthDate,
  maskCnpj,
  maskCpf,
  maskEmail,
  maskPhone,
} from './masking.js';
import {
  normalizeAddress,
  normalizeBirthDate,
  normalizeCnpj,
  normalizeCpf,
  normalizeEmail,
  normalizePhone,
} from './pii.js';

const TODAY = new Date('2026-01-15T12:00:00.000Z');

function fieldError(attempt: () => unknown): { code: string; paths: string[]; message: string } {
  try {
    attempt();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return {
      code: error.code,
      paths: (error.fields ?? []).map((field) => field.path),
      message: JSON.stringify(error.fields),
    };
  }
  throw new Error('expected a validation error');
}

describe('personal data normalization', () => {
  it.each(['123.456.789-09', '12345678909', ' 123 456 789 09 '])('reads the CPF %s', (input) => {
    expect(normalizeCpf(input.trim())).toBe('12345678909');
  });

  it.each(['123.456.789-00', '111.111.111-11', '1234567890', '123.456.789-09; drop', 'abc'])(
    'refuses the CPF %s without echoing it',
    (input) => {
      const error = fieldError(() => normalizeCpf(input));
      expect(error).toMatchObject({ code: 'POS_ERR_VALIDATION', paths: ['body/cpf'] });
      expect(error.message).not.toContain(input);
    },
  );

  it('accepts every generated CPF, formatted or not, as the same digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), () => {
        const cpf = generateCpf();
        expect(normalizeCpf(cpf)).toBe(cpf);
        expect(normalizeCpf(formatCpf(cpf))).toBe(cpf);
      }),
      { numRuns: 50 },
    );
  });

  it('reads numeric and alphanumeric CNPJs', () => {
    expect(normalizeCnpj('12.345.678/0001-95')).toBe('12345678000195');
    expect(normalizeCnpj('q0.slf.mbd/7vx4-39')).toBe('Q0SLFMBD7VX439');
    const generated = generateCnpj();
    expect(normalizeCnpj(formatCnpj(generated))).toBe(generated);
    expect(fieldError(() => normalizeCnpj('12.345.678/0001-90')).paths).toEqual(['body/cnpj']);
  });

  it.each([
    ['(11) 98765-4321', '+5511987654321'],
    ['+55 11 98765-4321', '+5511987654321'],
    ['11987654321', '+5511987654321'],
    ['(21) 3000-4321', '+552130004321'],
  ])('writes the phone %s as %s', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each(['+1 415 555 1234', '11987654321x', '123', '(00) 98765-4321'])(
    'refuses the phone %s',
    (input) => {
      expect(fieldError(() => normalizePhone(input)).paths).toEqual(['body/phone']);
    },
  );

  it('lower-cases and trims e-mail, and refuses what is not an address', () => {
    expect(normalizeEmail('  Maria.Silva@Example.COM ')).toBe('maria.silva@example.com');
    expect(fieldError(() => normalizeEmail('maria@')).paths).toEqual(['body/email']);
    expect(fieldError(() => normalizeEmail(`${'a'.repeat(250)}@x.com`)).paths).toEqual([
      'body/email',
    ]);
  });

  it('accepts real past dates only', () => {
    expect(normalizeBirthDate('1990-05-17', TODAY)).toBe('1990-05-17');
    for (const bad of ['1990-02-30', '17/05/1990', '2026-01-16', '1899-12-31', '1990-5-7']) {
      expect(fieldError(() => normalizeBirthDate(bad, TODAY)).paths).toEqual(['body/birthDate']);
    }
  });

  it('trims an address, upper-cases the UF and keeps the CEP as digits', () => {
    expect(
      normalizeAddress({
        street: ' Rua das Palmeiras ',
        number: '120',
        complement: '  ',
        city: 'São Paulo',
        state: 'sp',
        postalCode: '01310-100',
      }),
    ).toEqual({
      street: 'Rua das Palmeiras',
      number: '120',
      city: 'São Paulo',
      state: 'SP',
      postalCode: '01310100',
    });
    expect(
      fieldError(() => normalizeAddress({ street: 'Rua A', city: 'X', state: 'ZZ' })).paths,
    ).toEqual(['body/address/state']);
  });
});

describe('personal data masking', () => {
  it('masks like the SPEC shows', () => {
    expect(maskCpf('12345678909')).toBe('***.456.789-**');
    expect(maskCnpj('12345678000195')).toBe('**.345.678/0001-**');
    expect(maskEmail('maria@example.com')).toBe('m***@example.com');
    expect(maskPhone('+5511987654321')).toBe('+55 11 *****-4321');
    expect(maskPhone('+552130004321')).toBe('+55 21 ****-4321');
    expect(maskBirthDate('1990-05-17')).toBe('1990-**-**');
    expect(
      maskAddress({ street: 'Rua das Palmeiras', number: '120', city: 'Recife', state: 'PE' }),
    ).toEqual({ city: 'Recife', state: 'PE' });
  });

  it('never shows the first three or last two digits of any CPF', () => {
    fc.assert(
      fc.property(fc.integer(), () => {
        const cpf = generateCpf();
        const masked = maskCpf(cpf);
        expect(masked).toMatch(/^\*\*\*\.\d{3}\.\d{3}-\*\*$/);
        expect(masked.replace(/\D/g, '')).toBe(cpf.slice(3, 9));
      }),
      { numRuns: 100 },
    );
  });

  it('formats full documents for an audited reveal', () => {
    expect(formatCpf('12345678909')).toBe('123.456.789-09');
    expect(formatCnpj('12345678000195')).toBe('12.345.678/0001-95');
  });
});
