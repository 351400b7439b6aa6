import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import type { Role } from '../../security/authz/permissions.js';
import { call, errorOf, signInEveryRole } from '../catalog/catalog.test-helpers.js';
import type { Restaurant } from '../restaurants/repository.js';
import { MARIA, customerSession, nextCpf, type CustomerBody } from './customers.test-helpers.js';

describe.each(testDialects())('customer lookup, login and isolation (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  let users: Record<Role, SignedInUser>;
  let otherAdmin: SignedInUser;

  beforeAll(async () => {
    t = await buildTestApp({ dialect });
    restaurant = await seedRestaurant(t);
    users = await signInEveryRole(t, restaurant);
    otherAdmin = await signIn(t, await seedRestaurant(t), 'admin');
  });
  afterAll(() => t.close());

  async function newCustomer(body: Record<string, unknown> = {}): Promise<CustomerBody> {
    const response = await call(t, users.cashier, 'POST', '/api/v1/customers', {
      ...MARIA,
      cpf: nextCpf(),
      ...body,
    });
    expect(response.statusCode).toBe(201);
    return response.json<CustomerBody>();
  }

  const stored = (id: string) =>
    t.context.database.kysely
      .selectFrom('customers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  const countCustomers = async () =>
    Number(
      (
        await t.context.database.kysely
          .selectFrom('customers')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .executeTakeFirstOrThrow()
      ).count,
    );

  describe('lookup', () => {
    let maria: CustomerBody;
    const cpf = '714.602.380-01';

    beforeAll(async () => {
      maria = await newCustomer({ cpf, email: 'Lookup.Me@Example.com', phone: '21 99876-1234' });
    });

    it.each([
      ['CPF with punctuation', { cpf }],
      ['CPF as digits', { cpf: '71460238001' }],
      ['e-mail in another case', { email: '  LOOKUP.me@example.COM' }],
      ['phone in another format', { phone: '+55 (21) 99876-1234' }],
    ])('finds a customer by %s, masked', async (_label, body) => {
      const response = await call(t, users.waiter, 'POST', '/api/v1/customers/lookup', body);

      expect(response.statusCode).toBe(200);
      expect(response.json().items).toHaveLength(1);
      expect(response.json().items[0]).toMatchObject({
        id: maria.id,
        cpf: '***.602.380-**',
        masked: true,
      });
    });

    it('answers no match with an empty list and audits the search by field name only', async () => {
      const unknown = nextCpf();
      const response = await call(t, users.cashier, 'POST', '/api/v1/customers/lookup', {
        cpf: unknown,
      });

      expect(response.json()).toEqual({ items: [] });
      const audit = (await auditEntries(t, { action: 'customer.lookup' })).at(-1);
      expect(detailsOf(audit)).toEqual({ by: 'cpf', matches: 0 });
      expect(JSON.stringify(audit)).not.toContain(unknown);
    });

    it.each([
      ['two identifiers', { cpf, email: 'lookup.me@example.com' }],
      ['no identifier', {}],
      ['an unknown field', { name: 'Maria' }],
      ['an invalid CPF', { cpf: '714.602.380-00' }],
    ])('refuses a lookup with %s', async (_label, body) => {
      const response = await call(t, users.cashier, 'POST', '/api/v1/customers/lookup', body);

      expect(errorOf(response)).toEqual({ status: 400, code: 'POS_ERR_VALIDATION' });
      expect(response.body).not.toContain('714.602.380');
    });

    it('has no lookup by URL: a CPF in the query string is refused', async () => {
      const response = await call(t, users.cashier, 'GET', `/api/v1/customers/lookup?cpf=${cpf}`);

      expect(errorOf(response)).toEqual({ status: 400, code: 'POS_ERR_VALIDATION' });
      expect(response.body).not.toContain(maria.id);
      expect(response.body).not.toContain('714.602');
    });
  });

  describe('customer login', () => {
    it('lets a linked customer see only its own record, masked', async () => {
      const mine = await newCustomer();
      const someoneElse = await newCustomer();
      const link = await call(t, users.manager, 'POST', `/api/v1/customers/${mine.id}/login`, {
        username: 'maria.cliente',
        temporaryPassword: 'Jabuticaba-Doce-2031',
      });
      expect(link.json()).toMatchObject({ customerId: mine.id, mustChangePassword: true });
      const again = await call(t, users.manager, 'POST', `/api/v1/customers/${mine.id}/login`, {
        username: 'maria.outra',
        temporaryPassword: 'Jabuticaba-Doce-2031',
      });
      expect(errorOf(again)).toEqual({ status: 409, code: 'POS_ERR_CONFLICT' });

      const customer = await customerSession(
        t,
        restaurant,
        'maria.cliente',
        'Jabuticaba-Doce-2031',
      );

      const own = await call(t, customer, 'GET', `/api/v1/customers/${mine.id}`);
      expect(own.statusCode).toBe(200);
      expect(own.json()).toMatchObject({
        id: mine.id,
        cpf: expect.stringMatching(/^\*\*\*/),
        masked: true,
      });

      const other = await call(t, customer, 'GET', `/api/v1/customers/${someoneElse.id}`);
      expect(errorOf(other)).toEqual({ status: 404, code: 'POS_ERR_NOT_FOUND' });
      const reveal = await call(t, customer, 'GET', `/api/v1/customers/${mine.id}?reveal=true`);
      expect(errorOf(reveal)).toEqual({ status: 403, code: 'POS_ERR_FORBIDDEN' });
      const list = await call(t, customer, 'GET', '/api/v1/customers');
      expect(errorOf(list)).toEqual({ status: 403, code: 'POS_ERR_FORBIDDEN' });
    });
  });

  describe('security', () => {
    it.each([
      ['a restaurant id', { restaurantId: 'elsewhere' }],
      ['an id', { id: 'chosen' }],
      ['a blind index', { cpfIndex: 'abc' }],
    ])('rejects a creation carrying %s and stores nothing', async (_label, extra) => {
      const before = await countCustomers();

      const response = await call(t, users.cashier, 'POST', '/api/v1/customers', {
        name: 'Intrusa',
        ...extra,
      });

      expect(errorOf(response)).toEqual({ status: 400, code: 'POS_ERR_VALIDATION' });
      expect(await countCustomers()).toBe(before);
    });

    it('rejects an update carrying a restaurant id and changes nothing', async () => {
      const customer = await newCustomer();

      const response = await call(t, users.cashier, 'PATCH', `/api/v1/customers/${customer.id}`, {
        name: 'Mudou',
        restaurantId: 'elsewhere',
      });

      expect(errorOf(response)).toEqual({ status: 400, code: 'POS_ERR_VALIDATION' });
      expect(await stored(customer.id)).toMatchObject({
        name: MARIA.name,
        restaurant_id: restaurant.id,
      });
    });

    it("answers another restaurant's customer as not found and changes nothing", async () => {
      const cpf = nextCpf();
      const customer = await newCustomer({ cpf });
      const before = await stored(customer.id);

      const read = await call(t, otherAdmin, 'GET', `/api/v1/customers/${customer.id}?reveal=true`);
      const patch = await call(t, otherAdmin, 'PATCH', `/api/v1/customers/${customer.id}`, {
        name: 'Roubado',
      });
      const link = await call(t, otherAdmin, 'POST', `/api/v1/customers/${customer.id}/login`, {
        username: 'ladrao',
        temporaryPassword: 'Jabuticaba-Doce-2031',
      });
      for (const response of [read, patch, link]) {
        expect(errorOf(response)).toEqual({ status: 404, code: 'POS_ERR_NOT_FOUND' });
      }
      expect(await stored(customer.id)).toEqual(before);

      const lookup = await call(t, otherAdmin, 'POST', '/api/v1/customers/lookup', { cpf });
      expect(lookup.json()).toEqual({ items: [] });
      const list = await call(t, otherAdmin, 'GET', '/api/v1/customers?limit=100');
      expect(list.json().items.map((c: CustomerBody) => c.id)).not.toContain(customer.id);
    });

    it('lets another restaurant register the same CPF: uniqueness is per restaurant', async () => {
      const cpf = nextCpf();
      await newCustomer({ cpf });

      const response = await call(t, otherAdmin, 'POST', '/api/v1/customers', {
        name: 'Xará',
        cpf,
      });

      expect(response.statusCode).toBe(201);
      const [mine, theirs] = await t.context.database.kysely
        .selectFrom('customers')
        .select('cpf_index')
        .where('name', 'in', [MARIA.name, 'Xará'])
        .orderBy('created_at', 'desc')
        .limit(2)
        .execute();
      expect(mine?.cpf_index).not.toBe(theirs?.cpf_index);
    });

    it('never echoes a rejected CPF', async () => {
      const response = await call(t, users.cashier, 'POST', '/api/v1/customers', {
        name: 'Erro',
        cpf: '123.456.789-00',
      });

      expect(errorOf(response)).toEqual({ status: 400, code: 'POS_ERR_VALIDATION' });
      expect(response.body).not.toContain('123.456.789-00');
    });
  });
});
