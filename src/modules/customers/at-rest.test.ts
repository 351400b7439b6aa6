import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { storedData } from '../../../test/helpers/stored-data.js';
import { rotateDataKey } from '../../security/keys/data-key-rotation.js';
import { call } from '../catalog/catalog.test-helpers.js';

/** Known personal data, and every form in which it could sit in the database in clear. */
const SUBJECT = {
  name: 'Joana Prova Cifrada',
  cpf: '390.533.447-05',
  email: 'Joana.Prova@Example.com',
  phone: '(11) 97123-4321',
  address: {
    street: 'Travessa dos Cajueiros',
    number: '77',
    city: 'Campinas',
    state: 'SP',
    postalCode: '13010-111',
  },
  birthDate: '1979-11-23',
};

const PLAINTEXTS = [
  '390.533.447-05',
  '39053344705',
  'Joana.Prova@Example.com',
  'joana.prova@example.com',
  '(11) 97123-4321',
  '+5511971234321',
  '11971234321',
  '97123-4321',
  'Travessa dos Cajueiros',
  'Cajueiros',
  'Campinas',
  '13010-111',
  '13010111',
  '1979-11-23',
];

describe.each(testDialects())('personal data at rest (%s)', (dialect) => {
  let t: TestApp;
  let cashier: SignedInUser;
  let customerId: string;

  beforeAll(async () => {
    t = await buildTestApp({ dialect });
    const restaurant = await seedRestaurant(t);
    cashier = await signIn(t, restaurant, 'cashier');
    const created = await call(t, cashier, 'POST', '/api/v1/customers', SUBJECT);
    expect(created.statusCode).toBe(201);
    customerId = created.json().id;
  });
  afterAll(() => t.close());

  async function expectNoPlaintext(): Promise<void> {
    const bytes = Buffer.concat(await storedData(t));

    // The name is stored in clear on purpose (SPEC 3): finding it proves the scan sees the data.
    expect(bytes.includes(Buffer.from(SUBJECT.name))).toBe(true);
    for (const plaintext of PLAINTEXTS) {
      expect({ plaintext, found: bytes.includes(Buffer.from(plaintext)) }).toEqual({
        plaintext,
        found: false,
      });
    }
  }

  async function lookupByCpf(cpf: string): Promise<string[]> {
    const response = await call(t, cashier, 'POST', '/api/v1/customers/lookup', { cpf });
    expect(response.statusCode).toBe(200);
    return response.json<{ items: { id: string }[] }>().items.map((item) => item.id);
  }

  it('stores none of the CPF, e-mail, phone, address or birth date in clear', async () => {
    await expectNoPlaintext();
  });

  it('finds the customer by CPF before, during and after a key rotation, still encrypted', async () => {
    expect(await lookupByCpf(SUBJECT.cpf)).toEqual([customerId]);
    const lookupsDuringRotation: string[][] = [];

    const report = await rotateDataKey(t.context, {
      batchSize: 1,
      propagationMs: 0,
      afterBatch: async () => {
        lookupsDuringRotation.push(await lookupByCpf('39053344705'));
      },
    });

    expect(report.status).toBe('completed');
    expect(lookupsDuringRotation.length).toBeGreaterThan(3);
    expect(lookupsDuringRotation.every((ids) => ids.join() === customerId)).toBe(true);
    expect(await lookupByCpf(SUBJECT.cpf)).toEqual([customerId]);

    const row = await t.context.database.kysely
      .selectFrom('customers')
      .selectAll()
      .where('id', '=', customerId)
      .executeTakeFirstOrThrow();
    expect(row.cpf_encrypted?.startsWith(`v1.${report.keyId}.`)).toBe(true);
    await expectNoPlaintext();
  });
});
