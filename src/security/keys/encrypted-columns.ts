import type { DatabaseSchema } from '../../infra/db/schema.js';

type TableName = keyof DatabaseSchema;

/**
 * One database column whose values are `encryptField` output. The data-key rotation walks every
 * column listed here, and the key-retirement check counts what each still holds, so a column
 * missing from this list would keep an old key in use forever (or, worse, lose its values when
 * the key is retired). Adding an encrypted column is one `column(...)` line below.
 */
export interface EncryptedColumn {
  table: TableName;
  column: string;
  /** The `encryptField` context every value of the column is sealed under. */
  context: string;
  /** The column's primary key, walked in order so a run can resume after the last id done. */
  idColumn: string;
}

/** Typed against the schema: a misspelt table or column does not compile. */
function column<T extends TableName>(
  table: T,
  name: keyof DatabaseSchema[T] & string,
  context: string,
  idColumn: keyof DatabaseSchema[T] & string,
): EncryptedColumn {
  return { table, column: name, context, idColumn };
}

/** Every encrypted column in the database. */
export const ENCRYPTED_COLUMNS: readonly EncryptedColumn[] = [
  column('users', 'mfa_secret', 'users.mfa_secret', 'id'),
  column('signing_keys', 'private_jwk', 'signing_keys.private_jwk', 'kid'),
  column('customers', 'cpf_encrypted', 'customers.cpf', 'id'),
  column('customers', 'cnpj_encrypted', 'customers.cnpj', 'id'),
  column('customers', 'email_encrypted', 'customers.email', 'id'),
  column('customers', 'phone_encrypted', 'customers.phone', 'id'),
  column('customers', 'address_encrypted', 'customers.address', 'id'),
  column('customers', 'birth_date_encrypted', 'customers.birth_date', 'id'),
  column('payments', 'pan_encrypted', 'payments.pan_encrypted', 'id'),
];

/**
 * The encryption context of a registered column. Features take their contexts from here so that
 * what they write and what the rotation re-encrypts can never disagree; an unregistered column
 * fails at import time, not at the first rotation.
 */
export function encryptionContextOf<T extends TableName>(
  table: T,
  name: keyof DatabaseSchema[T] & string,
): string {
  const entry = ENCRYPTED_COLUMNS.find((c) => c.table === table && c.column === name);
  if (!entry) throw new Error(`${table}.${name} is not a registered encrypted column.`);
  return entry.context;
}
