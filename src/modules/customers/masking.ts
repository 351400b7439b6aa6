import {
  formatCnpj as libraryFormatCnpj,
  formatCpf as libraryFormatCpf,
} from '@brazilian-utils/brazilian-utils';

import type { Address } from './pii.js';

/**
 * How personal data is shown when the full value was not asked for: enough to recognise a
 * customer at the counter ("the one whose phone ends in 4321"), not enough to reuse the data.
 * Every function takes the canonical form from `pii.ts`.
 */

/** `12345678909` → `***.456.789-**`: the middle six digits, as the SPEC shows. */
export function maskCpf(cpf: string): string {
  return libraryFormatCpf(cpf, { obfuscate: true });
}

/** `12345678000195` → `**.345.678/0001-**`. */
export function maskCnpj(cnpj: string): string {
  return libraryFormatCnpj(cnpj, { version: 2, obfuscate: true });
}

/** `maria@example.com` → `m***@example.com`: first letter and domain only. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}

/** `+5511987654321` → `+55 11 *****-4321`; a landline hides four digits instead of five. */
export function maskPhone(phone: string): string {
  const national = phone.slice(3);
  const hidden = '*'.repeat(national.length - 6);
  return `+55 ${national.slice(0, 2)} ${hidden}-${national.slice(-4)}`;
}

/** Only the city and state: where a customer lives, not their door. */
export function maskAddress(address: Address): Pick<Address, 'city' | 'state'> {
  return { city: address.city, state: address.state };
}

/** `1990-05-17` → `1990-**-**`: the year, which is all an age check at the counter needs. */
export function maskBirthDate(birthDate: string): string {
  return `${birthDate.slice(0, 4)}-**-**`;
}

/** `12345678909` → `123.456.789-09`. */
export function formatCpf(cpf: string): string {
  return libraryFormatCpf(cpf);
}

/** `12345678000195` → `12.345.678/0001-95`. */
export function formatCnpj(cnpj: string): string {
  return libraryFormatCnpj(cnpj, { version: 2 });
}
