import type { AppContext } from '../../app/context.js';
import type { Executor } from '../../infra/db/database.js';
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
import type { Address } from './pii.js';
import { openPii, type CustomerPii } from './protected-fields.js';
import type { CustomerRow } from './repository.js';

export interface CustomerView {
  id: string;
  name: string;
  cpf: string | null;
  cnpj: string | null;
  email: string | null;
  phone: string | null;
  address: AddressView | null;
  birthDate: string | null;
  masked: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A revealed address has every stored part; a masked one only city and state. */
export type AddressView = Partial<Address> & Pick<Address, 'city' | 'state'>;

/** A customer as the API shows it: masked unless the caller may, and asked to, see it all. */
export function toCustomerView(row: CustomerRow, pii: CustomerPii, masked: boolean): CustomerView {
  const show = <T, R>(value: T | null, mask: (v: T) => R, full: (v: T) => R): R | null =>
    value === null ? null : masked ? mask(value) : full(value);
  const same = <T>(value: T) => value;

  return {
    id: row.id,
    name: row.name,
    cpf: show(pii.cpf, maskCpf, formatCpf),
    cnpj: show(pii.cnpj, maskCnpj, formatCnpj),
    email: show(pii.email, maskEmail, same),
    phone: show(pii.phone, maskPhone, same),
    address: show<Address, AddressView>(pii.address, maskAddress, same),
    birthDate: show(pii.birthDate, maskBirthDate, same),
    masked,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The masked view of a stored row; pass the transaction the row was read in, if any. */
export async function maskedView(
  context: AppContext,
  row: CustomerRow,
  db: Executor = context.database.kysely,
): Promise<CustomerView> {
  return toCustomerView(row, await openPii(context, row, db), true);
}
