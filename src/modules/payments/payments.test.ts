import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries } from '../../../test/helpers/audit.js';
import { blindIndex, decryptField } from '../../security/crypto/index.js';
import type { Restaurant } from '../restaurants/repository.js';
import {
  countRows,
  newKey,
  openDrawer,
  orderRow,
  pay,
  seedOrder,
} from './payments.test-helpers.js';

const TERMINAL_CARD = {
  brand: 'mastercard',
  last4: '4444',
  authorizationCode: 'AUT123',
  nsu: '000123',
};

describe.each(testDialects())('payments (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  let cashier: SignedInUser;

  beforeAll(async () => {
    t = await buildTestApp({ dialect });
    restaurant = await seedRestaurant(t);
    cashier = await signIn(t, restaurant, 'cashier');
    await openDrawer(t, cashier, 5_000);
  });
  afterAll(() => t.close());

  const order = (options: Parameters<typeof seedOrder>[3] = {}) =>
    seedOrder(t, restaurant, cashier.id, options);
  const paymentsOf = (orderId: string) =>
    t.context.database.kysely
      .selectFrom('payments')
      .selectAll()
      .where('order_id', '=', orderId)
      .execute();

  describe('cash', () => {
    it('computes the change, attaches the drawer session and closes a covered order', async () => {
      const id = await order({ totalCents: 4_250 });

      const response = await pay(t, cashier, id, {
        method: 'cash',
        amountCents: 4_250,
        tenderedCents: 5_000,
      });

      expect(response.statusCode).toBe(201);
      expect(response.json()).toMatchObject({
        method: 'cash',
        status: 'captured',
        amountCents: 4_250,
        tenderedCents: 5_000,
        changeCents: 750,
        order: { id, status: 'paid', totalCents: 4_250, paidCents: 4_250, remainingCents: 0 },
      });
      expect(response.json().cashierSessionId).toEqual(expect.any(String));
      const row = await orderRow(t, id);
      expect(row).toMatchObject({ status: 'paid', paid_cents: 4_250 });
      expect(row.closed_at).toBe(t.clock.now().toISOString());
    });

    it('refuses a tender below the amount, naming the field, and writes nothing', async () => {
      const id = await order({ totalCents: 1_000 });

      const response = await pay(t, cashier, id, {
        method: 'cash',
        amountCents: 1_000,
        tenderedCents: 999,
      });

      expect(response.statusCode).toBe(400);
      expect(response.json().fields).toEqual([
        { path: 'body/tenderedCents', message: 'must be at least amountCents' },
      ]);
      expect(await paymentsOf(id)).toHaveLength(0);
    });
  });

  describe('balance', () => {
    it('takes several payments until the order is paid, then refuses more', async () => {
      const id = await order({ totalCents: 10_000 });

      const first = await pay(t, cashier, id, { method: 'cash', amountCents: 3_000 });
      const second = await pay(t, cashier, id, {
        method: 'debit',
        amountCents: 7_000,
        card: TERMINAL_CARD,
      });
      const third = await pay(t, cashier, id, { method: 'cash', amountCents: 1 });

      expect(first.json().order).toMatchObject({ status: 'served', paidCents: 3_000 });
      expect(second.json().order).toMatchObject({ status: 'paid', paidCents: 10_000 });
      expect(third.statusCode).toBe(409);
      expect(third.json().code).toBe('POS_ERR_ORDER_CLOSED');
      expect(await paymentsOf(id)).toHaveLength(2);
    });

    it('refuses an amount above the remaining balance, even with cash', async () => {
      const id = await order({ totalCents: 5_000 });
      await pay(t, cashier, id, { method: 'cash', amountCents: 2_000 });

      const response = await pay(t, cashier, id, {
        method: 'cash',
        amountCents: 3_001,
        tenderedCents: 5_000,
      });

      expect(response.statusCode).toBe(409);
      expect(response.json().code).toBe('POS_ERR_AMOUNT_EXCEEDS_BALANCE');
      expect((await orderRow(t, id)).paid_cents).toBe(2_000);
    });

    it('never pays a cancelled or deleted order', async () => {
      for (const options of [{ status: 'cancelled' as const }, { deleted: true }]) {
        const id = await order(options);

        const response = await pay(t, cashier, id, {
          method: 'credit',
          amountCents: 100,
          card: TERMINAL_CARD,
        });

        expect(response.statusCode).toBe(409);
        expect(response.json().code).toBe('POS_ERR_ORDER_CLOSED');
        expect(await paymentsOf(id)).toHaveLength(0);
      }
    });

    it('captures concurrent payments of one order without ever exceeding its total', async () => {
      const id = await order({ totalCents: 10_000 });

      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          pay(t, cashier, id, { method: 'credit', amountCents: 3_000, card: TERMINAL_CARD }),
        ),
      );

      const captured = answers.filter((answer) => answer.statusCode === 201);
      expect(captured).toHaveLength(3);
      for (const answer of answers.filter((a) => a.statusCode !== 201)) {
        expect(answer.statusCode).toBe(409);
      }
      expect((await orderRow(t, id)).paid_cents).toBe(9_000);
    });
  });

  describe('cards', () => {
    it('stores the terminal reference as given', async () => {
      const id = await order({ totalCents: 2_000 });

      const response = await pay(t, cashier, id, {
        method: 'credit',
        amountCents: 2_000,
        card: TERMINAL_CARD,
      });

      expect(response.statusCode).toBe(201);
      expect(response.json().card).toEqual({
        entry: 'terminal',
        brand: 'mastercard',
        last4: '4444',
        maskedPan: null,
        authorizationCode: 'AUT123',
        nsu: '000123',
      });
    });

    it('keeps a keyed PAN only encrypted, as a keyed hash and masked to 6 + 4 digits', async () => {
      const id = await order({ totalCents: 2_000 });
      const pan = '4539148803436467';

      const response = await pay(t, cashier, id, {
        method: 'credit',
        amountCents: 2_000,
        card: { pan: '4539 1488 0343 6467' },
      });

      expect(response.statusCode).toBe(201);
      expect(response.json().card).toMatchObject({
        entry: 'manual',
        brand: 'visa',
        last4: '6467',
        maskedPan: '453914******6467',
      });
      expect(response.body).not.toContain(pan);
      const [row] = await paymentsOf(id);
      expect(row!.pan_encrypted).not.toContain(pan);
      expect(decryptField(t.context.keyRing, row!.pan_encrypted!, 'payments.pan_encrypted')).toBe(
        pan,
      );
      expect(row!.pan_hash).toBe(blindIndex(t.context.keys.blindIndexKey, 'payments.pan', pan));
    });

    it('refuses a keyed PAN that fails the Luhn check without repeating it', async () => {
      const id = await order({ totalCents: 2_000 });

      const response = await pay(t, cashier, id, {
        method: 'credit',
        amountCents: 2_000,
        card: { pan: '4539148803436468' },
      });

      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('POS_ERR_INVALID_CARD_NUMBER');
      expect(response.body).not.toContain('4539148803436468');
      expect(await paymentsOf(id)).toHaveLength(0);
    });

    it('refuses a card on a cash payment and a card payment without one', async () => {
      const id = await order({ totalCents: 2_000 });

      const cashWithCard = await pay(t, cashier, id, {
        method: 'cash',
        amountCents: 2_000,
        card: TERMINAL_CARD,
      });
      const cardWithout = await pay(t, cashier, id, { method: 'debit', amountCents: 2_000 });

      expect(cashWithCard.json().fields).toEqual([
        { path: 'body/card', message: 'is not allowed for this method' },
      ]);
      expect(cardWithout.json().fields).toEqual([
        { path: 'body/card', message: 'is required for this method' },
      ]);
      expect(await paymentsOf(id)).toHaveLength(0);
    });
  });

  it('takes a voucher with its provider and authorization', async () => {
    const id = await order({ totalCents: 3_300 });

    const response = await pay(t, cashier, id, {
      method: 'voucher',
      amountCents: 3_300,
      voucher: { provider: 'Alelo Refeicao', authorizationCode: 'V-778' },
    });

    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      voucher: { provider: 'Alelo Refeicao', authorizationCode: 'V-778' },
      order: { status: 'paid' },
    });
  });

  it('audits every capture as payment_processed without card data', async () => {
    const id = await order({ totalCents: 2_000 });

    const response = await pay(t, cashier, id, {
      method: 'credit',
      amountCents: 2_000,
      card: { pan: '5555555555554444' },
    });

    const [entry] = await auditEntries(t, {
      action: 'payment.capture',
      resourceId: response.json().id,
    });
    expect(entry).toMatchObject({
      event_type: 'payment_processed',
      outcome: 'success',
      actor_id: cashier.id,
      restaurant_id: restaurant.id,
    });
    expect(JSON.parse(entry!.details)).toEqual({
      orderId: id,
      method: 'credit',
      amountCents: 2_000,
      changeCents: null,
      cardEntry: 'manual',
      orderStatus: 'paid',
    });
    expect(entry!.details).not.toContain('4444');
  });

  describe('Idempotency-Key', () => {
    it('replays the first response, status and body, without a second capture', async () => {
      const id = await order({ totalCents: 5_000 });
      const key = newKey();
      const body = { method: 'cash', amountCents: 1_000, tenderedCents: 2_000 };

      const first = await pay(t, cashier, id, body, key);
      const second = await pay(t, cashier, id, body, key);

      expect(second.statusCode).toBe(first.statusCode);
      expect(second.json()).toEqual(first.json());
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(await paymentsOf(id)).toHaveLength(1);
      expect((await orderRow(t, id)).paid_cents).toBe(1_000);
    });

    it('answers 422 to the same key with a different request', async () => {
      const id = await order({ totalCents: 5_000 });
      const key = newKey();
      await pay(t, cashier, id, { method: 'cash', amountCents: 1_000 }, key);

      const response = await pay(t, cashier, id, { method: 'cash', amountCents: 2_000 }, key);

      expect(response.statusCode).toBe(422);
      expect(response.json().code).toBe('POS_ERR_IDEMPOTENCY_MISMATCH');
      expect(await paymentsOf(id)).toHaveLength(1);
    });

    it('captures once when the same request is fired concurrently', async () => {
      const id = await order({ totalCents: 5_000 });
      const key = newKey();
      const body = { method: 'credit', amountCents: 1_500, card: TERMINAL_CARD };

      const answers = await Promise.all(
        Array.from({ length: 6 }, () => pay(t, cashier, id, body, key)),
      );

      const succeeded = answers.filter((answer) => answer.statusCode === 201);
      expect(succeeded.length).toBeGreaterThanOrEqual(1);
      for (const answer of succeeded) expect(answer.json()).toEqual(succeeded[0]!.json());
      for (const answer of answers.filter((a) => a.statusCode !== 201)) {
        expect(answer.statusCode).toBe(409);
        expect(answer.json().code).toBe('POS_ERR_IDEMPOTENCY_IN_PROGRESS');
      }
      expect(await paymentsOf(id)).toHaveLength(1);
      expect((await orderRow(t, id)).paid_cents).toBe(1_500);
    });

    it('requires the header and names it when it is missing or malformed', async () => {
      const id = await order({ totalCents: 5_000 });

      for (const key of [null, 'short', 'bad key with spaces']) {
        const response = await pay(t, cashier, id, { method: 'cash', amountCents: 100 }, key);
        expect(response.statusCode).toBe(400);
        expect(response.json().code).toBe('POS_ERR_VALIDATION');
        expect(response.json().fields[0].path).toBe('headers/idempotency-key');
      }
      expect(await paymentsOf(id)).toHaveLength(0);
    });

    it('replays a refusal too: the same key after the drawer opens still answers 409', async () => {
      const operator = await signIn(t, restaurant, 'cashier');
      const id = await order({ totalCents: 1_000 });
      const key = newKey();
      const body = { method: 'cash', amountCents: 1_000 };

      const refused = await pay(t, operator, id, body, key);
      await openDrawer(t, operator);
      const replayed = await pay(t, operator, id, body, key);
      const fresh = await pay(t, operator, id, body, newKey());

      expect(refused.json().code).toBe('POS_ERR_CASHIER_SESSION_REQUIRED');
      expect(replayed.statusCode).toBe(409);
      expect(replayed.json()).toEqual(refused.json());
      expect(fresh.statusCode).toBe(201);
    });
  });

  describe('reading', () => {
    it('lists newest first with an opaque cursor and filters', async () => {
      const id = await order({ totalCents: 9_000 });
      const created: string[] = [];
      for (const method of ['cash', 'voucher', 'cash'] as const) {
        t.clock.advance(1_000);
        const response = await pay(t, cashier, id, {
          method,
          amountCents: 1_000,
          ...(method === 'voucher' ? { voucher: { provider: 'Ticket' } } : {}),
        });
        created.push(response.json().id);
      }

      const first = await t.app.inject({
        method: 'GET',
        url: `/api/v1/payments?orderId=${id}&limit=2`,
        headers: cashier.headers,
      });
      const second = await t.app.inject({
        method: 'GET',
        url: `/api/v1/payments?orderId=${id}&limit=2&cursor=${first.json().nextCursor}`,
        headers: cashier.headers,
      });
      const cashOnly = await t.app.inject({
        method: 'GET',
        url: `/api/v1/payments?orderId=${id}&method=cash`,
        headers: cashier.headers,
      });

      expect(first.json().items.map((p: { id: string }) => p.id)).toEqual([created[2], created[1]]);
      expect(second.json()).toEqual({
        items: [expect.objectContaining({ id: created[0] })],
        nextCursor: null,
      });
      expect(cashOnly.json().items).toHaveLength(2);
    });

    it('refuses a forged cursor and an oversized limit', async () => {
      for (const query of ['cursor=not-a-cursor', 'limit=101', 'status=refunded']) {
        const response = await t.app.inject({
          method: 'GET',
          url: `/api/v1/payments?${query}`,
          headers: cashier.headers,
        });
        expect(response.statusCode).toBe(400);
        expect(response.json().code).toBe('POS_ERR_VALIDATION');
      }
    });

    it('audits a read of a card payment as card_data_access, and not of a cash one', async () => {
      const id = await order({ totalCents: 3_000 });
      const card = await pay(t, cashier, id, {
        method: 'credit',
        amountCents: 2_000,
        card: { pan: '4539148803436467' },
      });
      const cash = await pay(t, cashier, id, { method: 'cash', amountCents: 1_000 });

      for (const paymentId of [card.json().id, cash.json().id]) {
        const response = await t.app.inject({
          method: 'GET',
          url: `/api/v1/payments/${paymentId}`,
          headers: cashier.headers,
        });
        expect(response.statusCode).toBe(200);
      }

      const reads = await auditEntries(t, { action: 'payment.read' });
      expect(reads.filter((entry) => entry.resource_id === card.json().id)).toEqual([
        expect.objectContaining({ event_type: 'card_data_access', actor_id: cashier.id }),
      ]);
      expect(reads.some((entry) => entry.resource_id === cash.json().id)).toBe(false);
    });
  });

  describe('security', () => {
    it('rejects mass assignment of status, restaurant, capture or balance fields', async () => {
      const id = await order({ totalCents: 5_000 });

      for (const extra of [
        { status: 'captured' },
        { restaurantId: 'another' },
        { refundedCents: 0 },
        { changeCents: 4_000 },
        { cashierSessionId: 'someone-elses' },
      ]) {
        const response = await pay(t, cashier, id, {
          method: 'cash',
          amountCents: 1_000,
          ...extra,
        });
        expect(response.statusCode).toBe(400);
        expect(response.json().code).toBe('POS_ERR_VALIDATION');
      }
      expect(await paymentsOf(id)).toHaveLength(0);
      expect((await orderRow(t, id)).paid_cents).toBe(0);
    });

    it('rejects a client-chosen price: amounts are integers within bounds', async () => {
      const id = await order({ totalCents: 5_000 });

      for (const amountCents of [0, -100, 10.5, '1000', 1e12]) {
        const response = await pay(t, cashier, id, { method: 'cash', amountCents });
        expect(response.statusCode).toBe(400);
      }
      expect(await paymentsOf(id)).toHaveLength(0);
    });
  });

  it('answers 404 for an unknown order and writes nothing', async () => {
    const before = await countRows(t, 'payments');

    const response = await pay(t, cashier, 'no-such-order', { method: 'cash', amountCents: 100 });

    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('POS_ERR_NOT_FOUND');
    expect(await countRows(t, 'payments')).toBe(before);
  });
});

describe('payment rate class', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({ env: { CHEFIA_RATE_LIMIT_PAYMENT: '10/60' } });
  });
  afterAll(() => t.close());

  it('limits payments per client to the payment class (10 per minute)', async () => {
    const restaurant = await seedRestaurant(t);
    const cashier = await signIn(t, restaurant, 'cashier');
    const id = await seedOrder(t, restaurant, cashier.id, { totalCents: 100_000 });

    const answers = [];
    for (let attempt = 0; attempt < 11; attempt++) {
      answers.push(
        await pay(t, cashier, id, { method: 'credit', amountCents: 100, card: TERMINAL_CARD }),
      );
    }

    expect(answers.slice(0, 10).every((answer) => answer.statusCode === 201)).toBe(true);
    expect(answers[10]!.statusCode).toBe(429);
    expect(answers[10]!.json().code).toBe('POS_ERR_RATE_LIMITED');
  });

  it('counts PIX confirmation and cancellation in the same budget as taking payments', async () => {
    const restaurant = await seedRestaurant(t);
    const cashier = await signIn(t, restaurant, 'cashier');
    const id = await seedOrder(t, restaurant, cashier.id, { totalCents: 100_000 });
    const settle = (action: 'confirm' | 'cancel') =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/payments/${randomUUID()}/${action}`,
        headers: cashier.headers,
      });

    for (let attempt = 0; attempt < 4; attempt++) {
      expect((await settle('confirm')).statusCode).toBe(404);
      expect((await settle('cancel')).statusCode).toBe(404);
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      const payment = await pay(t, cashier, id, {
        method: 'credit',
        amountCents: 100,
        card: TERMINAL_CARD,
      });
      expect(payment.statusCode).toBe(201);
    }

    for (const action of ['confirm', 'cancel'] as const) {
      const limited = await settle(action);
      expect(limited.statusCode, action).toBe(429);
      expect(limited.json()).toMatchObject({ statusCode: 429, code: 'POS_ERR_RATE_LIMITED' });
    }
    const listed = await t.app.inject({
      method: 'GET',
      url: '/api/v1/payments',
      headers: cashier.headers,
    });
    expect(listed.statusCode).toBe(200);
  });
});
