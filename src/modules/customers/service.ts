import type { AppContext } from '../../app/context.js';
import { conflict, forbidden, notFound, validationError } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import {
  actorOf,
  hasPermission,
  type Principal,
  type RequestSource,
} from '../../security/authz/principal.js';
import { recordDenial } from '../../security/authz/denials.js';
import { decodeCursor, pageOf } from '../../infra/db/page-cursor.js';
import {
  normalizeAddress,
  normalizeBirthDate,
  normalizeCnpj,
  normalizeCpf,
  normalizeEmail,
  normalizePhone,
  type Address,
} from './pii.js';
import {
  openPii,
  sealPii,
  searchIndex,
  type CustomerPii,
  type SealedPii,
} from './protected-fields.js';
import { CustomersRepository } from './repository.js';
import { maskedView, toCustomerView, type CustomerView } from './views.js';

export interface CustomerInput {
  name?: string;
  cpf?: string | null;
  cnpj?: string | null;
  email?: string | null;
  phone?: string | null;
  address?: Address | null;
  birthDate?: string | null;
}

/** Canonical forms of the fields present in `input`; `null` stays `null` (clear the field). */
function normalizePii(context: AppContext, input: CustomerInput): Partial<CustomerPii> {
  const pii: Partial<CustomerPii> = {};
  const each = <K extends keyof CustomerPii>(
    key: K,
    normalize: (value: NonNullable<CustomerInput[K]>) => CustomerPii[K],
  ) => {
    const value = input[key];
    if (value === undefined) return;
    pii[key] = value === null ? null : normalize(value);
  };

  each('cpf', (value) => normalizeCpf(value));
  each('cnpj', (value) => normalizeCnpj(value));
  each('email', (value) => normalizeEmail(value));
  each('phone', (value) => normalizePhone(value));
  each('address', (value) => normalizeAddress(value));
  each('birthDate', (value) => normalizeBirthDate(value, context.clock.now()));
  return pii;
}

function cleanName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0)
    throw validationError([{ path: 'body/name', message: 'must not be blank' }]);
  return trimmed;
}

/** A customer is a person (CPF) or a company (CNPJ), not both. */
function assertOneDocument(cpf: string | null | undefined, cnpj: string | null | undefined): void {
  if (cpf && cnpj) {
    throw validationError([{ path: 'body/cnpj', message: 'a customer has a CPF or a CNPJ' }]);
  }
}

/** CPF and CNPJ are unique per restaurant: a second record would split a person's data. */
async function assertDocumentsFree(
  customers: CustomersRepository,
  context: AppContext,
  principal: Principal,
  pii: Partial<CustomerPii>,
  exceptId: string | null,
): Promise<void> {
  for (const field of ['cpf', 'cnpj'] as const) {
    const value = pii[field];
    if (!value) continue;
    const index = searchIndex(context, principal.restaurantId, field, value);
    const holders = await customers.findByIndex(field, index);
    if (holders.some((holder) => holder.id !== exceptId)) {
      throw conflict('A customer with this document already exists.');
    }
  }
}

/** A unique index caught what the check above could not see: a concurrent insert. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

async function uniqueOrConflict<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('A customer with this document already exists.');
    throw error;
  }
}

function fieldList(input: CustomerInput): string {
  return Object.keys(input).sort().join(',');
}

export async function createCustomer(
  context: AppContext,
  principal: Principal,
  input: CustomerInput & { name: string },
  source: RequestSource,
): Promise<CustomerView> {
  const name = cleanName(input.name);
  const empty: CustomerPii = {
    cpf: null,
    cnpj: null,
    email: null,
    phone: null,
    address: null,
    birthDate: null,
  };
  const pii: CustomerPii = { ...empty, ...normalizePii(context, input) };
  assertOneDocument(pii.cpf, pii.cnpj);

  return uniqueOrConflict(() =>
    inTransaction(context.database, async (tx) => {
      const customers = new CustomersRepository(tx, principal.restaurantId);
      await assertDocumentsFree(customers, context, principal, pii, null);

      const now = context.clock.now().toISOString();
      const row = await customers.insert({
        id: context.ids(),
        name,
        ...(sealPii(context, principal.restaurantId, pii) as SealedPii),
        created_by: principal.id,
        created_at: now,
        updated_at: now,
      });
      await context.audit.record(tx, {
        type: 'object_created',
        action: 'customer.create',
        outcome: 'success',
        restaurantId: principal.restaurantId,
        actor: actorOf(principal),
        source,
        resource: { type: 'customer', id: row.id },
        details: { fields: fieldList(input) },
      });
      return toCustomerView(row, pii, true);
    }),
  );
}

export async function listCustomers(
  context: AppContext,
  principal: Principal,
  options: { limit: number; cursor?: string; search?: string },
): Promise<{ items: CustomerView[]; nextCursor: string | null }> {
  const customers = new CustomersRepository(context.database.kysely, principal.restaurantId);
  const rows = await customers.list({
    limit: options.limit + 1,
    ...(options.cursor ? { after: decodeCursor(options.cursor) } : {}),
    ...(options.search ? { search: options.search } : {}),
  });
  const page = pageOf(
    rows,
    options.limit,
    (row) => ({ key: row.name, id: row.id }),
    (row) => row,
  );
  const items = await Promise.all(page.items.map((row) => maskedView(context, row)));
  return { items, nextCursor: page.nextCursor };
}

/**
 * One customer. Staff with `customer.read` see any customer of their restaurant; a customer login
 * sees only the record it is linked to (any other id is "not found", as if it did not exist).
 * The full, unmasked data needs `customer.manage` and an explicit `reveal`, and that read is
 * audited in the same transaction that reads it, so no unaudited full read can happen.
 */
export async function getCustomer(
  context: AppContext,
  principal: Principal,
  customerId: string,
  options: { reveal: boolean },
  source: RequestSource,
): Promise<CustomerView> {
  if (!hasPermission(principal, 'customer.read')) {
    if (principal.role !== 'customer') {
      await recordDenial(
        context,
        principal,
        source,
        { type: 'customer', id: customerId },
        'customer.read',
      );
      throw forbidden();
    }
    if (principal.customerId !== customerId) throw notFound();
  }

  if (options.reveal && !hasPermission(principal, 'customer.manage')) {
    await recordDenial(
      context,
      principal,
      source,
      { type: 'customer', id: customerId },
      'customer.reveal',
    );
    throw forbidden();
  }

  if (!options.reveal) {
    const customers = new CustomersRepository(context.database.kysely, principal.restaurantId);
    const row = await customers.findById(customerId);
    if (!row) throw notFound();
    return maskedView(context, row);
  }

  return inTransaction(context.database, async (tx) => {
    const row = await new CustomersRepository(tx, principal.restaurantId).findById(customerId);
    if (!row) throw notFound();

    const pii = await openPii(context, row, tx);
    await context.audit.record(tx, {
      type: 'data_access',
      action: 'customer.reveal',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'customer', id: row.id },
    });
    return toCustomerView(row, pii, false);
  });
}

export async function updateCustomer(
  context: AppContext,
  principal: Principal,
  customerId: string,
  input: CustomerInput,
  source: RequestSource,
): Promise<CustomerView> {
  const name = input.name === undefined ? undefined : cleanName(input.name);
  const changes = normalizePii(context, input);

  return uniqueOrConflict(() =>
    inTransaction(context.database, async (tx) => {
      const customers = new CustomersRepository(tx, principal.restaurantId);
      const row = await customers.findById(customerId, context.database.dialect === 'postgres');
      if (!row) throw notFound();

      const current = await openPii(context, row, tx);
      const merged: CustomerPii = { ...current, ...changes };
      assertOneDocument(merged.cpf, merged.cnpj);
      await assertDocumentsFree(customers, context, principal, changes, row.id);

      const now = context.clock.now().toISOString();
      const sealed = sealPii(context, principal.restaurantId, changes);
      await customers.update(row.id, { ...sealed, ...(name ? { name } : {}), updated_at: now });
      await context.audit.record(tx, {
        type: 'data_modification',
        action: 'customer.update',
        outcome: 'success',
        restaurantId: principal.restaurantId,
        actor: actorOf(principal),
        source,
        resource: { type: 'customer', id: row.id },
        details: { fields: fieldList(input) },
      });
      const updated = { ...row, ...sealed, name: name ?? row.name, updated_at: now };
      return toCustomerView(updated, merged, true);
    }),
  );
}

/** For other modules (orders, privacy): whether a customer id belongs to the restaurant. */
export async function customerExists(
  db: Executor,
  principal: Pick<Principal, 'restaurantId'>,
  customerId: string,
): Promise<boolean> {
  return (await new CustomersRepository(db, principal.restaurantId).findById(customerId)) !== null;
}
