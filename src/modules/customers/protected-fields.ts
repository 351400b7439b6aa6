import type { AppContext } from '../../app/context.js';
import type { Executor } from '../../infra/db/database.js';
import type { CustomersTable } from '../../infra/db/schema.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import { blindIndex, encryptField } from '../../security/crypto/index.js';
import { encryptionContextOf } from '../../security/keys/encrypted-columns.js';
import { decryptStored } from '../../security/keys/key-ring-refresh.js';
import type { Address } from './pii.js';

/** A customer's personal data in canonical form (see pii.ts), decrypted. */
export interface CustomerPii {
  cpf: string | null;
  cnpj: string | null;
  email: string | null;
  phone: string | null;
  address: Address | null;
  birthDate: string | null;
}

export type SearchableField = 'cpf' | 'cnpj' | 'email' | 'phone';

type EncryptedColumn =
  | 'cpf_encrypted'
  | 'cnpj_encrypted'
  | 'email_encrypted'
  | 'phone_encrypted'
  | 'address_encrypted'
  | 'birth_date_encrypted';

const COLUMNS: Record<keyof CustomerPii, EncryptedColumn> = {
  cpf: 'cpf_encrypted',
  cnpj: 'cnpj_encrypted',
  email: 'email_encrypted',
  phone: 'phone_encrypted',
  address: 'address_encrypted',
  birthDate: 'birth_date_encrypted',
};

const INDEX_COLUMNS = {
  cpf: 'cpf_index',
  cnpj: 'cnpj_index',
  email: 'email_index',
  phone: 'phone_index',
} as const satisfies Record<SearchableField, keyof CustomersTable>;

/** Encryption contexts come from the registry the key rotation walks, so the two agree. */
const CONTEXTS = Object.fromEntries(
  Object.entries(COLUMNS).map(([field, column]) => [
    field,
    encryptionContextOf('customers', column),
  ]),
) as Record<keyof CustomerPii, string>;

export type SealedPii = Pick<
  CustomersTable,
  EncryptedColumn | (typeof INDEX_COLUMNS)[SearchableField]
>;

export function indexColumnOf(field: SearchableField): (typeof INDEX_COLUMNS)[SearchableField] {
  return INDEX_COLUMNS[field];
}

/**
 * The blind index of a canonical value. The restaurant id is part of the input, so the same CPF
 * at two restaurants gives unrelated indexes: a copy of the table cannot link customers across
 * tenants, and a lookup can only ever match the caller's own restaurant.
 */
export function searchIndex(
  context: AppContext,
  restaurantId: RestaurantId,
  field: SearchableField,
  value: string,
): string {
  return blindIndex(context.keys.blindIndexKey, `customers.${field}`, `${restaurantId}\0${value}`);
}

function serialize(field: keyof CustomerPii, pii: Partial<CustomerPii>): string | null {
  if (field === 'address') return pii.address ? JSON.stringify(pii.address) : null;
  return pii[field] ?? null;
}

/**
 * The stored columns for the given personal-data fields (all of them at creation, the changed
 * ones on update): each value encrypted under its own column context with the ring's active key
 * (read now, so a rotation takes effect at once), plus the blind index of each searchable one.
 */
export function sealPii(
  context: AppContext,
  restaurantId: RestaurantId,
  pii: Partial<CustomerPii>,
): Partial<SealedPii> {
  const sealed: Partial<SealedPii> = {};
  for (const field of Object.keys(COLUMNS) as (keyof CustomerPii)[]) {
    if (!(field in pii)) continue;
    const plaintext = serialize(field, pii);
    sealed[COLUMNS[field]] =
      plaintext === null ? null : encryptField(context.keyRing, plaintext, CONTEXTS[field]);
  }
  for (const field of Object.keys(INDEX_COLUMNS) as SearchableField[]) {
    if (!(field in pii)) continue;
    const value = pii[field] ?? null;
    sealed[INDEX_COLUMNS[field]] =
      value === null ? null : searchIndex(context, restaurantId, field, value);
  }
  return sealed;
}

/**
 * Decrypts a customer row's personal data. Pass the transaction the row was read in as `db`, so
 * that a key-ring reload it may need runs inside it.
 */
export async function openPii(
  context: AppContext,
  row: CustomersTable,
  db: Executor = context.database.kysely,
): Promise<CustomerPii> {
  const open = async (field: keyof CustomerPii): Promise<string | null> => {
    const stored = row[COLUMNS[field]];
    return stored === null ? null : decryptStored(context, stored, CONTEXTS[field], db);
  };

  const address = await open('address');
  return {
    cpf: await open('cpf'),
    cnpj: await open('cnpj'),
    email: await open('email'),
    phone: await open('phone'),
    address: address === null ? null : (JSON.parse(address) as Address),
    birthDate: await open('birthDate'),
  };
}
