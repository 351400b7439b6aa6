import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../../test/helpers/auth.js';
import { testDialects } from '../../../../test/helpers/database.js';
import { auditEntries } from '../../../../test/helpers/audit.js';
import type { Restaurant } from '../../restaurants/repository.js';
import { cancelOrder, orderRow, pay, seedOrder } from '../payments.test-helpers.js';
import { signPixWebhook } from './webhook-signature.js';

const PIX_KEY = '123e4567-e12b-12d1-a456-426655440000';
const WEBHOOK_SECRET = 'a9F3kQ7zX2mW8pL4vB6nR1tY5uC0eD3hJ';

/*
 * The BR Code is checked here with code written for this test, not with the encoder's own
 * helpers: a table-driven CRC-16/CCITT-FALSE and a plain TLV reader.
 */
const CRC_TABLE = Array.from({ length: 256 }, (_, index) => {
  let value = index << 8;
  for (let bit = 0; bit < 8; bit++) {
    value = (value & 0x8000 ? (value << 1) ^ 0x1021 : value << 1) & 0xffff;
  }
  return value;
});

function crc16(text: string): string {
  let crc = 0xffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

function readTlv(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let at = 0; at < text.length;) {
    const id = text.slice(at, at + 2);
    const length = Number(text.slice(at + 2, at + 4));
    fields[id] = text.slice(at + 4, at + 4 + length);
    at += 4 + length;
  }
  return fields;
}

const reasonOf = (entry: { details: string }) =>
  (JSON.parse(entry.details) as { reason: string }).reason;

describe.each(testDialects())('PIX (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  let cashier: SignedInUser;
  let manager: SignedInUser;

  beforeAll(async () => {
    t = await buildTestApp({ dialect, env: { CHEFIA_PIX_WEBHOOK_SECRET: WEBHOOK_SECRET } });
    restaurant = await seedRestaurant(t);
    await t.context.database.kysely
      .updateTable('restaurants')
      .set({ pix_key: PIX_KEY, name: 'Cantina Dona Zélia', settings: '{"city":"Curitiba"}' })
      .where('id', '=', restaurant.id)
      .execute();
    cashier = await signIn(t, restaurant, 'cashier');
    manager = await signIn(t, restaurant, 'manager');
  });
  afterAll(() => t.close());

  const charge = async (totalCents: number, amountCents = totalCents) => {
    const orderId = await seedOrder(t, restaurant, cashier.id, { totalCents });
    const response = await pay(t, cashier, orderId, { method: 'pix', amountCents });
    expect(response.statusCode).toBe(201);
    return { orderId, payment: response.json() };
  };

  /** The cashier cancels a pending PIX charge. */
  const cancelCharge = (paymentId: string) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/payments/${paymentId}/cancel`,
      headers: cashier.headers,
    });

  const webhook = (
    body: Record<string, unknown>,
    options: { secret?: string; timestamp?: number; raw?: string } = {},
  ) => {
    const raw = options.raw ?? JSON.stringify(body);
    const timestamp = options.timestamp ?? Math.floor(t.clock.now().getTime() / 1000);
    return t.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/pix',
      headers: {
        'content-type': 'application/json',
        'x-pix-timestamp': String(timestamp),
        'x-pix-signature': signPixWebhook(options.secret ?? WEBHOOK_SECRET, timestamp, raw),
      },
      payload: raw,
    });
  };

  describe('charge', () => {
    it('answers a pending charge with a BR Code whose CRC and fields check out', async () => {
      const { orderId, payment } = await charge(12_345);

      expect(payment).toMatchObject({ method: 'pix', status: 'pending', capturedAt: null });
      const payload: string = payment.pix.payload;
      expect(payload.slice(-8, -4)).toBe('6304');
      expect(payload.slice(-4)).toBe(crc16(payload.slice(0, -4)));

      const fields = readTlv(payload);
      expect(fields['00']).toBe('01');
      expect(fields['01']).toBe('12');
      expect(readTlv(fields['26']!)).toEqual({ '00': 'br.gov.bcb.pix', '01': PIX_KEY });
      expect(fields['53']).toBe('986');
      expect(fields['54']).toBe('123.45');
      expect(fields['58']).toBe('BR');
      expect(fields['59']).toBe('CANTINA DONA ZELIA');
      expect(fields['60']).toBe('CURITIBA');
      expect(readTlv(fields['62']!)).toEqual({ '05': payment.pix.txid });
      expect(payment.pix.txid).toMatch(/^[A-Za-z0-9]{25}$/);
      expect((await orderRow(t, orderId)).paid_cents).toBe(0);
    });

    it('holds a pending charge back from the balance until it is confirmed or cancelled', async () => {
      const { orderId, payment } = await charge(10_000, 6_000);

      const blocked = await pay(t, cashier, orderId, {
        method: 'voucher',
        amountCents: 4_001,
        voucher: { provider: 'Ticket' },
      });
      expect(blocked.statusCode).toBe(409);
      expect(blocked.json().code).toBe('POS_ERR_AMOUNT_EXCEEDS_BALANCE');

      const cancelled = await cancelCharge(payment.id);
      expect(cancelled.json()).toMatchObject({ status: 'cancelled' });
      const after = await pay(t, cashier, orderId, {
        method: 'voucher',
        amountCents: 10_000,
        voucher: { provider: 'Ticket' },
      });
      expect(after.json().order).toMatchObject({ status: 'paid', paidCents: 10_000 });
      expect(
        await auditEntries(t, { action: 'payment.pix_cancel', resourceId: payment.id }),
      ).toHaveLength(1);
    });

    it('keeps an order with a pending charge from being cancelled until the charge is', async () => {
      const { orderId, payment } = await charge(3_000);
      const refused = await cancelOrder(t, manager, orderId, 'cliente foi embora');
      expect(refused.statusCode).toBe(409);
      expect(refused.json().code).toBe('POS_ERR_ORDER_HAS_PAYMENTS');
      expect((await orderRow(t, orderId)).status).not.toBe('cancelled');

      await cancelCharge(payment.id);
      const cancelled = await cancelOrder(t, manager, orderId, 'cliente foi embora');
      expect(cancelled.statusCode).toBe(200);
      expect((await orderRow(t, orderId)).status).toBe('cancelled');
    });

    it('is confirmed once by the cashier, closing the order', async () => {
      const { orderId, payment } = await charge(2_500);
      const confirm = () =>
        t.app.inject({
          method: 'POST',
          url: `/api/v1/payments/${payment.id}/confirm`,
          headers: cashier.headers,
        });

      const first = await confirm();
      const second = await confirm();

      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ status: 'captured', order: { status: 'paid' } });
      expect(second.statusCode).toBe(409);
      expect((await orderRow(t, orderId)).paid_cents).toBe(2_500);
      const [entry] = await auditEntries(t, {
        action: 'payment.pix_confirm',
        resourceId: payment.id,
      });
      expect(JSON.parse(entry!.details)).toMatchObject({ via: 'cashier', orderStatus: 'paid' });
    });

    it('is refused with 409 when the restaurant has no PIX key', async () => {
      const other = await seedRestaurant(t);
      const user = await signIn(t, other, 'cashier');
      const orderId = await seedOrder(t, other, user.id, { totalCents: 1_000 });

      const response = await pay(t, user, orderId, { method: 'pix', amountCents: 1_000 });

      expect(response.statusCode).toBe(409);
      expect(response.json().code).toBe('POS_ERR_CONFLICT');
    });
  });

  describe('signed webhook', () => {
    it('captures the charge and is idempotent by event id and by charge', async () => {
      const { orderId, payment } = await charge(3_000);
      const event = { eventId: 'evt-1-' + payment.id, txid: payment.pix.txid, amountCents: 3_000 };

      const first = await webhook(event);
      const replay = await webhook(event);
      const anotherEvent = await webhook({ ...event, eventId: 'evt-2-' + payment.id });

      expect(first.statusCode).toBe(200);
      expect(first.json()).toEqual({ status: 'captured' });
      expect(replay.json()).toEqual({ status: 'duplicate' });
      expect(anotherEvent.json()).toEqual({ status: 'already_captured' });
      expect(await orderRow(t, orderId)).toMatchObject({ status: 'paid', paid_cents: 3_000 });
      const confirmations = await auditEntries(t, {
        action: 'payment.pix_confirm',
        resourceId: payment.id,
      });
      expect(confirmations).toHaveLength(1);
      expect(confirmations[0]).toMatchObject({ actor_type: 'system', actor_id: 'pix_webhook' });
    });

    it('rejects a bad signature, a stale timestamp and a tampered body, and audits each', async () => {
      const { orderId, payment } = await charge(3_000);
      const event = {
        eventId: 'evt-bad-' + payment.id,
        txid: payment.pix.txid,
        amountCents: 3_000,
      };
      const now = Math.floor(t.clock.now().getTime() / 1000);
      const signedRaw = JSON.stringify(event);
      const before = (await auditEntries(t, { action: 'webhook.pix_rejected' })).length;

      const forged = await webhook(event, { secret: 'x'.repeat(40) });
      const stale = await webhook(event, { timestamp: now - 301 });
      const tampered = await t.app.inject({
        method: 'POST',
        url: '/api/v1/webhooks/pix',
        headers: {
          'content-type': 'application/json',
          'x-pix-timestamp': String(now),
          'x-pix-signature': signPixWebhook(WEBHOOK_SECRET, now, signedRaw),
        },
        payload: signedRaw.replace('3000', '3001'),
      });
      const unsigned = await t.app.inject({
        method: 'POST',
        url: '/api/v1/webhooks/pix',
        payload: event,
      });

      for (const response of [forged, stale, tampered, unsigned]) {
        expect(response.statusCode).toBe(401);
        expect(response.json().code).toBe('POS_ERR_WEBHOOK_SIGNATURE');
      }
      const rejections = (await auditEntries(t, { action: 'webhook.pix_rejected' })).slice(before);
      expect(rejections.map(reasonOf)).toEqual([
        'bad_signature',
        'stale',
        'bad_signature',
        'malformed',
      ]);
      expect(rejections.every((entry) => entry.event_type === 'security_alert')).toBe(true);
      expect(rejections.every((entry) => entry.risk_score > 7)).toBe(true);
      expect(await orderRow(t, orderId)).toMatchObject({ status: 'served', paid_cents: 0 });
    });

    it('refuses a body far larger than any notification with 413', async () => {
      const response = await webhook({ eventId: 'big', txid: 'abc', padding: 'x'.repeat(20_000) });

      expect(response.statusCode).toBe(413);
      expect(response.json().code).toBe('POS_ERR_PAYLOAD_TOO_LARGE');
    });

    it('checks the signature before the body: an unsigned malformed body is a 401', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/webhooks/pix',
        payload: { unexpected: true },
      });

      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('POS_ERR_WEBHOOK_SIGNATURE');
    });

    it('answers 404 to an unknown txid and 422 to a wrong amount, auditing both', async () => {
      const { orderId, payment } = await charge(3_000);

      const unknown = await webhook({ eventId: 'evt-u', txid: 'A'.repeat(25), amountCents: 3_000 });
      const wrongAmount = await webhook({
        eventId: 'evt-w-' + payment.id,
        txid: payment.pix.txid,
        amountCents: 2_999,
      });

      expect(unknown.statusCode).toBe(404);
      expect(wrongAmount.statusCode).toBe(422);
      const reasons = (await auditEntries(t, { action: 'webhook.pix_rejected' })).map(reasonOf);
      expect(reasons).toEqual(expect.arrayContaining(['unknown_txid', 'amount_mismatch']));
      expect((await orderRow(t, orderId)).paid_cents).toBe(0);
    });

    it('records money for a cancelled charge without applying it, and raises an alert', async () => {
      const { orderId, payment } = await charge(3_000);
      await cancelCharge(payment.id);

      const response = await webhook({
        eventId: 'evt-c-' + payment.id,
        txid: payment.pix.txid,
        amountCents: 3_000,
      });

      expect(response.json()).toEqual({ status: 'not_applied' });
      expect((await orderRow(t, orderId)).paid_cents).toBe(0);
      const [entry] = await auditEntries(t, {
        action: 'payment.pix_unapplied',
        resourceId: payment.id,
      });
      expect(entry!.risk_score).toBeGreaterThan(7);
    });
  });
});

describe('PIX webhook without a configured secret', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it('refuses every call, even one signed with an empty-looking secret', async () => {
    const raw = JSON.stringify({ eventId: 'e', txid: 'abc', amountCents: 1 });
    const timestamp = Math.floor(t.clock.now().getTime() / 1000);

    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/pix',
      headers: {
        'content-type': 'application/json',
        'x-pix-timestamp': String(timestamp),
        'x-pix-signature': signPixWebhook('anything-at-all', timestamp, raw),
      },
      payload: raw,
    });

    expect(response.statusCode).toBe(401);
    const [entry] = await auditEntries(t, { action: 'webhook.pix_rejected' });
    expect(JSON.parse(entry!.details)).toEqual({ reason: 'not_configured' });
  });
});
