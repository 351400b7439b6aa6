import {
  isValidCep,
  isValidCnpj,
  isValidCpf,
  isValidEmail,
  isValidPhone,
  parsePhone,
} from '@brazilian-utils/brazilian-utils';

import { validationError } from '../../core/errors.js';

/**
 * One canonical form per personal-data field. Blind indexes are computed over these forms, so
 * "123.456.789-09" and "12345678909" (or "Maria@Example.com " and "maria@example.com") find the
 * same customer. Each function throws a validation error naming the field, never its value.
 */

export interface Address {
  street: string;
  number?: string;
  complement?: string;
  district?: string;
  city: string;
  /** Two-letter UF code, upper case. */
  state: string;
  /** CEP, eight digits. */
  postalCode?: string;
}

const UF_CODES = new Set([
  'AC', 'AL', 'AP', 'AM', 'BA', 'CE', 'DF', 'ES', 'GO', 'MA', 'MT', 'MS', 'MG', 'PA',
  'PB', 'PR', 'PE', 'PI', 'RJ', 'RN', 'RS', 'RO', 'RR', 'SC', 'SP', 'SE', 'TO',
]); // prettier-ignore

const invalid = (path: string, message: string) => validationError([{ path, message }]);

/** Digits only, 11 of them, with valid check digits. */
export function normalizeCpf(input: string, path = 'body/cpf'): string {
  if (!/^[\d.\s-]{11,20}$/.test(input)) throw invalid(path, 'must be a CPF');
  const digits = input.replace(/\D/g, '');
  if (digits.length !== 11 || !isValidCpf(digits)) throw invalid(path, 'must be a valid CPF');
  return digits;
}

/**
 * Fourteen characters without punctuation, upper case, with valid check digits. Letters are
 * allowed in the first twelve: the alphanumeric CNPJ the Receita Federal issues from 2026.
 */
export function normalizeCnpj(input: string, path = 'body/cnpj'): string {
  if (!/^[\dA-Za-z./\s-]{14,24}$/.test(input)) throw invalid(path, 'must be a CNPJ');
  const compact = input.replace(/[./\s-]/g, '').toUpperCase();
  if (!/^[\dA-Z]{12}\d{2}$/.test(compact) || !isValidCnpj(compact, { version: 2 })) {
    throw invalid(path, 'must be a valid CNPJ');
  }
  return compact;
}

/** A Brazilian mobile or landline number in E.164: `+55` then DDD and number. */
export function normalizePhone(input: string, path = 'body/phone'): string {
  // The library ignores stray characters; a phone field should hold nothing but a phone number.
  if (!/^[\d\s()+.-]{8,30}$/.test(input)) throw invalid(path, 'must be a phone number');
  const national = parsePhone(input);
  if (!/^\d{10,11}$/.test(national) || !isValidPhone(national)) {
    throw invalid(path, 'must be a valid Brazilian phone number');
  }
  return `+55${national}`;
}

/** Trimmed and lower-cased, as mailbox names are matched in practice. */
export function normalizeEmail(input: string, path = 'body/email'): string {
  const email = input.trim().toLowerCase();
  if (email.length > 254 || !isValidEmail(email)) throw invalid(path, 'must be a valid e-mail');
  return email;
}

/** A real calendar date (YYYY-MM-DD) between 1900-01-01 and today. */
export function normalizeBirthDate(input: string, today: Date, path = 'body/birthDate'): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input);
  const date = match ? new Date(`${input}T00:00:00.000Z`) : null;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== input) {
    throw invalid(path, 'must be a date (YYYY-MM-DD)');
  }
  if (input < '1900-01-01' || input > today.toISOString().slice(0, 10)) {
    throw invalid(path, 'must be between 1900-01-01 and today');
  }
  return input;
}

function cleanPart(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Trimmed parts, UF in upper case, CEP as eight digits; empty optional parts are dropped. */
export function normalizeAddress(input: Address, path = 'body/address'): Address {
  const street = cleanPart(input.street);
  const city = cleanPart(input.city);
  if (!street) throw invalid(`${path}/street`, 'must not be blank');
  if (!city) throw invalid(`${path}/city`, 'must not be blank');

  const state = input.state.trim().toUpperCase();
  if (!UF_CODES.has(state)) throw invalid(`${path}/state`, 'must be a UF code such as SP');

  let postalCode: string | undefined;
  if (input.postalCode !== undefined) {
    if (!isValidCep(input.postalCode)) throw invalid(`${path}/postalCode`, 'must be a valid CEP');
    postalCode = input.postalCode.replace(/\D/g, '');
  }

  const optional = {
    number: cleanPart(input.number),
    complement: cleanPart(input.complement),
    district: cleanPart(input.district),
    postalCode,
  };
  return {
    street,
    city,
    state,
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}
