import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import type { Role } from '../../security/authz/permissions.js';
import { call, errorOf, signInEveryRole } from '../catalog/catalog.test-helpers.js';
import type { Restaurant } from '../restaurants/repository.js';
import { MARIA, nextCpf, type CustomerBody } from './customers.test-helpers.js';

describe.each(testDialects())('customers (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  let users: Record<Role, SignedInUser>;

  beforeAll(async () => {
    t = await buildTestApp({ dialect });
    restaurant = await seedRestaurant(t);
    users = await signInEveryRole(t, restaurant);
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

  describe('role by route', () => {
    const readers = {
      admin: 200,
      manager: 200,
      cashier: 200,
      waiter: 200,
      kitchen: 403,
      customer: 403,
    };
    const managers = {
      admin: 201,
      manager: 201,
      cashier: 201,
      waiter: 403,
      kitchen: 403,
      customer: 403,
    };

    it.each(Object.entries(readers))('GET /customers as %s answers %i', async (role, status) => {
      expect((await call(t, users[role as Role], 'GET', '/api/v1/customers')).statusCode).toBe(
        status,
      );
    });

    it.each(Object.entries(managers))('POST /customers as %s answers %i', async (role, status) => {
      const before = await countCustomers();
      const response = await call(t, users[role as Role], 'POST', '/api/v1/customers', {
        name: 'Cliente',
        cpf: nextCpf(),
      });
      expect(response.statusCode).toBe(status);
      expect(await countCustomers()).toBe(before + (status === 201 ? 1 : 0));
    });

    it.each(Object.entries(readers))(
      'POST /customers/lookup as %s answers %i',
      async (role, status) => {
        const response = await call(t, users[role as Role], 'POST', '/api/v1/customers/lookup', {
          email: 'ninguem@example.com',
        });
        expect(response.statusCode).toBe(status);
      },
    );

    const getters = {
      admin: 200,
      manager: 200,
      cashier: 200,
      waiter: 200,
      kitchen: 403,
      customer: 404,
    };
    it.each(Object.entries(getters))(
      'GET /customers/:id as %s answers %i',
      async (role, status) => {
        const customer = await newCustomer();
        const response = await call(
          t,
          users[role as Role],
          'GET',
          `/api/v1/customers/${customer.id}`,
        );
        expect(response.statusCode).toBe(status);
      },
    );

    const updaters = {
      admin: 200,
      manager: 200,
      cashier: 200,
      waiter: 403,
      kitchen: 403,
      customer: 403,
    };
    it.each(Object.entries(updaters))(
      'PATCH /customers/:id as %s answers %i',
      async (role, status) => {
        const customer = await newCustomer();
        const response = await call(
          t,
          users[role as Role],
          'PATCH',
          `/api/v1/customers/${customer.id}`,
          {
            name: 'Outro Nome',
          },
        );
        expect(response.statusCode).toBe(status);
        expect((await stored(customer.id)).name).toBe(status === 200 ? 'Outro Nome' : MARIA.name);
      },
    );

    const linkers = {
      admin: 201,
      manager: 201,
      cashier: 403,
      waiter: 403,
      kitchen: 403,
      customer: 403,
    };
    it.each(Object.entries(linkers))(
      'POST /customers/:id/login as %s answers %i',
      async (role, status) => {
        const customer = await newCustomer();
        const response = await call(
          t,
          users[role as Role],
          'POST',
          `/api/v1/customers/${customer.id}/login`,
          {
            username: `cliente.${role}`,
            temporaryPassword: 'Varanda-Azul-Mangueira-77',
          },
        );
        expect(response.statusCode).toBe(status);
      },
    );

    it('audits a kitchen read refused by the object rule', async () => {
      const customer = await newCustomer();

      await call(t, users.kitchen, 'GET', `/api/v1/customers/${customer.id}`);

      const denial = (await auditEntries(t, { action: 'authz.deny', resourceId: customer.id })).at(
        -1,
      );
      expect(denial).toMatchObject({ actor_id: users.kitchen.id, outcome: 'denied' });
      expect(detailsOf(denial)).toEqual({ permission: 'customer.read' });
    });
  });

  describe('masking and reveal', () => {
    it('shows a cashier masked data only', async () => {
      const created = await call(t, users.cashier, 'POST', '/api/v1/customers', MARIA);
      expect(created.statusCode).toBe(201);
      const id = created.json().id as string;

      const response = await call(t, users.cashier, 'GET', `/api/v1/customers/${id}`);

      expect(response.json()).toEqual({
        id,
        name: 'Maria Silva',
        cpf: '***.456.789-**',
        cnpj: null,
        email: 'm***@example.com',
        phone: '+55 11 *****-4321',
        address: { city: 'São Paulo', state: 'SP' },
        birthDate: '1990-**-**',
        masked: true,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      for (const secret of [
        '12345678909',
        '123.456.789-09',
        'maria.silva',
        '98765',
        'Palmeiras',
        '05-17',
      ]) {
        expect(response.body).not.toContain(secret);
        expect(created.body).not.toContain(secret);
      }
      expect(await auditEntries(t, { action: 'customer.reveal', resourceId: id })).toEqual([]);
    });

    it('reveals everything to a manager who asks, and audits that read', async () => {
      const customer = await newCustomer({ cpf: '529.982.247-25' });

      const response = await call(
        t,
        users.manager,
        'GET',
        `/api/v1/customers/${customer.id}?reveal=true`,
      );

      expect(response.json()).toMatchObject({
        cpf: '529.982.247-25',
        email: 'maria.silva@example.com',
        phone: '+5511987654321',
        address: { street: 'Rua das Palmeiras', number: '120', postalCode: '01310100' },
        birthDate: '1990-05-17',
        masked: false,
      });
      const audit = await auditEntries(t, { action: 'customer.reveal', resourceId: customer.id });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        event_type: 'data_access',
        actor_id: users.manager.id,
        outcome: 'success',
      });
      expect(JSON.stringify(audit[0])).not.toContain('52998224725');
    });

    it('refuses a reveal to a waiter, audits it, and shows nothing', async () => {
      const customer = await newCustomer();

      const response = await call(
        t,
        users.waiter,
        'GET',
        `/api/v1/customers/${customer.id}?reveal=true`,
      );

      expect(errorOf(response)).toEqual({ status: 403, code: 'POS_ERR_FORBIDDEN' });
      expect(response.body).not.toContain('Palmeiras');
      expect(
        detailsOf(
          (await auditEntries(t, { action: 'authz.deny', resourceId: customer.id })).at(-1),
        ),
      ).toEqual({
        permission: 'customer.reveal',
      });
      expect(await auditEntries(t, { action: 'customer.reveal', resourceId: customer.id })).toEqual(
        [],
      );
    });
  });

  describe('listing', () => {
    it('searches by name and pages with a cursor, masking every item', async () => {
      await newCustomer({ name: 'Zuleica 100% Fiel' });
      await newCustomer({ name: 'Zuleica Souza' });
      await newCustomer({ name: 'Zulmira' });

      const first = await call(t, users.waiter, 'GET', '/api/v1/customers?search=zuleica&limit=1');
      const page = first.json<{ items: CustomerBody[]; nextCursor: string }>();
      const cursor = encodeURIComponent(page.nextCursor);
      const second = await call(
        t,
        users.waiter,
        'GET',
        `/api/v1/customers?search=zuleica&limit=1&cursor=${cursor}`,
      );

      expect(page.items.map((c) => c.name)).toEqual(['Zuleica 100% Fiel']);
      expect(second.json().items.map((c: CustomerBody) => c.name)).toEqual(['Zuleica Souza']);
      expect(second.json().nextCursor).toBeNull();
      expect(page.items[0]).toMatchObject({
        masked: true,
        cpf: expect.stringMatching(/^\*\*\*\./),
      });
      const percent = await call(t, users.waiter, 'GET', '/api/v1/customers?search=100%25');
      expect(percent.json().items.map((c: CustomerBody) => c.name)).toEqual(['Zuleica 100% Fiel']);
    });
  });

  describe('changes', () => {
    it('refuses a duplicate CPF in one restaurant with 409, however it is written', async () => {
      const cpf = nextCpf();
      await newCustomer({ cpf });
      const before = await countCustomers();

      const formatted = `${cpf.slice(0, 3)}.${cpf.slice(3, 6)}.${cpf.slice(6, 9)}-${cpf.slice(9)}`;
      const response = await call(t, users.cashier, 'POST', '/api/v1/customers', {
        name: 'Outra Pessoa',
        cpf: formatted,
      });

      expect(errorOf(response)).toEqual({ status: 409, code: 'POS_ERR_CONFLICT' });
      expect(await countCustomers()).toBe(before);
    });

    it("refuses to move a customer onto another customer's CPF", async () => {
      const cpf = nextCpf();
      await newCustomer({ cpf });
      const second = await newCustomer();
      const original = (await stored(second.id)).cpf_encrypted;

      const response = await call(t, users.cashier, 'PATCH', `/api/v1/customers/${second.id}`, {
        cpf,
      });

      expect(errorOf(response)).toEqual({ status: 409, code: 'POS_ERR_CONFLICT' });
      expect((await stored(second.id)).cpf_encrypted).toBe(original);
    });

    it('refuses a customer with both a CPF and a CNPJ', async () => {
      const response = await call(t, users.cashier, 'POST', '/api/v1/customers', {
        name: 'Empresa',
        cpf: nextCpf(),
        cnpj: '12.345.678/0001-95',
      });

      expect(errorOf(response)).toEqual({ status: 400, code: 'POS_ERR_VALIDATION' });
    });

    it('updates and clears fields, auditing the field names only', async () => {
      const customer = await newCustomer();

      const response = await call(t, users.cashier, 'PATCH', `/api/v1/customers/${customer.id}`, {
        email: 'novo@example.org',
        phone: null,
      });

      expect(response.json()).toMatchObject({ email: 'n***@example.org', phone: null });
      const row = await stored(customer.id);
      expect(row.phone_encrypted).toBeNull();
      expect(row.phone_index).toBeNull();
      const audit = await auditEntries(t, { action: 'customer.update', resourceId: customer.id });
      expect(audit.map((entry) => detailsOf(entry))).toEqual([{ fields: 'email,phone' }]);
      expect(JSON.stringify(audit)).not.toContain('novo@example.org');

      const found = await call(t, users.cashier, 'POST', '/api/v1/customers/lookup', {
        email: 'novo@example.org',
      });
      expect(found.json().items.map((c: CustomerBody) => c.id)).toContain(customer.id);
    });

    it('audits a creation with field names, never values', async () => {
      const customer = await newCustomer();

      const audit = await auditEntries(t, { action: 'customer.create', resourceId: customer.id });

      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ event_type: 'object_created', actor_id: users.cashier.id });
      expect(detailsOf(audit[0])).toEqual({
        fields: 'address,birthDate,cpf,email,name,phone',
      });
    });
  });
});
