import type { AppContext } from '../../app/context.js';
import { AppError } from '../../core/errors.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import { normalizeCnpj, normalizeCpf, normalizeEmail, normalizePhone } from './pii.js';
import { searchIndex, type SearchableField } from './protected-fields.js';
import { CustomersRepository } from './repository.js';
import { maskedView, type CustomerView } from './views.js';

export type LookupInput =
  { cpf: string } | { cnpj: string } | { email: string } | { phone: string };

function lookupKey(input: LookupInput): { field: SearchableField; value: string } {
  if ('cpf' in input) return { field: 'cpf', value: normalizeCpf(input.cpf) };
  if ('cnpj' in input) return { field: 'cnpj', value: normalizeCnpj(input.cnpj) };
  if ('email' in input) return { field: 'email', value: normalizeEmail(input.email) };
  if ('phone' in input) return { field: 'phone', value: normalizePhone(input.phone) };
  throw new AppError('POS_ERR_VALIDATION');
}

/**
 * Finds customers by CPF, CNPJ, e-mail or phone through the blind index alone: the table is never
 * decrypted to search it. Results are masked. The search is audited by field name only.
 */
export async function lookupCustomers(
  context: AppContext,
  principal: Principal,
  input: LookupInput,
  source: RequestSource,
): Promise<{ items: CustomerView[] }> {
  const { field, value } = lookupKey(input);
  const index = searchIndex(context, principal.restaurantId, field, value);

  const rows = await inTransaction(context.database, async (tx) => {
    const found = await new CustomersRepository(tx, principal.restaurantId).findByIndex(
      field,
      index,
    );
    await context.audit.record(tx, {
      type: 'data_access',
      action: 'customer.lookup',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'customer' },
      details: { by: field, matches: found.length },
    });
    return found;
  });
  return { items: await Promise.all(rows.map((row) => maskedView(context, row))) };
}
