import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries } from '../../../test/helpers/audit.js';
import type { Restaurant } from '../restaurants/repository.js';
import {
  approve,
  cancelOrder,
  newKey,
  openDrawer,
  orderRow,
  pay,
  refund,
  seedOrder,
} from './payments.test-helpers.js';

const TERMINAL_CARD = { brand: 'visa', last4: '1111', authorizationCode: 'AUT9', nsu: '42' };

describe.each(testDialects())('refunds (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  let cashier: SignedInUser;
  let manager: SignedInUser;

  beforeAll(async () => {
    t = await buildTestApp({ dialect });
    restaurant = await seedRestaurant(t);
    cashier = await signIn(t, restaurant, 'cashier');
    manager = await signIn(t, restaurant, 'manager');
  });
  afterAll(() => t.close());

  /** A captured card payment covering a whole order. */
  const cardPayment = async (amountCents = 10_000) => {
    const orderId = await seedOrder(t, restaurant, cashier.id, { totalCents: amountCents });
    const response = await pay(t, cashier, orderId, {
      method: 'credit',
      amountCents,
      card: TERMINAL_CARD,
    });
    expect(response.statusCode).toBe(201);
    return { orderId, paymentId: response.json().id as string };
  };
  const refundsOf = (paymentId: string) =>
    t.context.database.kysely
      .selectFrom('refunds')
      .selectAll()
      .where('payment_id', '=', paymentId)
      .execute();

  it('lets a payment.refund holder refund, reopening a paid order to served', async () => {
    const { orderId, paymentId } = await cardPayment(10_000);

    const response = await refund(t, manager, paymentId, {
      amountCents: 4_000,
      reason: 'prato frio',
    });

    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      amountCents: 4_000,
      reason: 'prato frio',
      createdBy: manager.id,
      approvedBy: null,
      payment: { id: paymentId, refundedCents: 4_000 },
      order: { id: orderId, status: 'served', paidCents: 6_000, remainingCents: 4_000 },
    });
    const row = await orderRow(t, orderId);
    expect(row).toMatchObject({ status: 'served', paid_cents: 6_000, closed_at: null });
  });

  it('lets the reopened balance be paid again, closing the order once more', async () => {
    const { orderId, paymentId } = await cardPayment(5_000);
    await refund(t, manager, paymentId, { amountCents: 5_000, reason: 'cobranca errada' });

    const again = await pay(t, cashier, orderId, {
      method: 'debit',
      amountCents: 5_000,
      card: TERMINAL_CARD,
    });

    expect(again.json().order).toMatchObject({ status: 'paid', paidCents: 5_000 });
  });

  it('lets an order be cancelled once its payment is refunded in full, and not before', async () => {
    const { orderId, paymentId } = await cardPayment(6_000);
    const cancel = () => cancelOrder(t, manager, orderId, 'cliente desistiu');

    await refund(t, manager, paymentId, { amountCents: 2_000, reason: 'parcial' });
    const partly = await cancel();
    expect(partly.statusCode).toBe(409);
    expect(partly.json().code).toBe('POS_ERR_ORDER_HAS_PAYMENTS');
    expect(await orderRow(t, orderId)).toMatchObject({ status: 'served', paid_cents: 4_000 });

    await refund(t, manager, paymentId, { amountCents: 4_000, reason: 'restante' });
    const refunded = await cancel();

    expect(refunded.statusCode).toBe(200);
    expect(refunded.json()).toMatchObject({ id: orderId, status: 'cancelled' });
    expect(await orderRow(t, orderId)).toMatchObject({ status: 'cancelled', paid_cents: 0 });
  });

  it('audits a refund with a risk score that raises an alert', async () => {
    const { paymentId } = await cardPayment(3_000);

    const response = await refund(t, manager, paymentId, {
      amountCents: 1_000,
      reason: 'cliente reclamou',
    });

    const [entry] = await auditEntries(t, { action: 'payment.refund', resourceId: paymentId });
    expect(entry).toMatchObject({
      event_type: 'payment_processed',
      outcome: 'success',
      actor_id: manager.id,
    });
    expect(entry!.risk_score).toBeGreaterThanOrEqual(8);
    expect(JSON.parse(entry!.details)).toMatchObject({
      refundId: response.json().id,
      amountCents: 1_000,
      refundedCents: 1_000,
    });
  });

  it('needs a manager approval for this payment and amount when the caller lacks payment.refund', async () => {
    const { paymentId } = await cardPayment(8_000);

    const bare = await refund(t, cashier, paymentId, { amountCents: 2_000, reason: 'desistiu' });
    expect(bare.statusCode).toBe(403);
    expect(bare.json().code).toBe('POS_ERR_APPROVAL_INVALID');

    const tooSmall = await approve(t, manager, cashier, {
      action: 'refund',
      resourceId: paymentId,
      amountCents: 1_999,
    });
    const otherAction = await approve(t, manager, cashier, {
      action: 'void',
      resourceId: paymentId,
      amountCents: 2_000,
    });
    for (const approvalToken of [tooSmall, otherAction]) {
      const response = await refund(t, cashier, paymentId, {
        amountCents: 2_000,
        reason: 'desistiu',
        approvalToken,
      });
      expect(response.json().code).toBe('POS_ERR_APPROVAL_INVALID');
    }
    expect(await refundsOf(paymentId)).toHaveLength(0);

    const approvalToken = await approve(t, manager, cashier, {
      action: 'refund',
      resourceId: paymentId,
      amountCents: 2_000,
    });
    const approved = await refund(t, cashier, paymentId, {
      amountCents: 2_000,
      reason: 'desistiu',
      approvalToken,
    });
    expect(approved.statusCode).toBe(201);
    expect(approved.json()).toMatchObject({ createdBy: cashier.id, approvedBy: manager.id });

    const denials = (
      await auditEntries(t, { action: 'payment.refund', resourceId: paymentId })
    ).filter((entry) => entry.outcome === 'denied');
    expect(denials).toHaveLength(3);
    expect(denials.every((entry) => entry.event_type === 'permission_denied')).toBe(true);
  });

  it('never refunds more than the payment, summed over several refunds', async () => {
    const { paymentId } = await cardPayment(5_000);
    await refund(t, manager, paymentId, { amountCents: 3_000, reason: 'parcial um' });

    const over = await refund(t, manager, paymentId, {
      amountCents: 2_001,
      reason: 'parcial dois',
    });
    const exact = await refund(t, manager, paymentId, {
      amountCents: 2_000,
      reason: 'parcial dois',
    });

    expect(over.statusCode).toBe(409);
    expect(over.json().code).toBe('POS_ERR_AMOUNT_EXCEEDS_BALANCE');
    expect(exact.statusCode).toBe(201);
    expect(exact.json().payment.refundedCents).toBe(5_000);
  });

  it('requires a reason of 3 to 200 characters', async () => {
    const { paymentId } = await cardPayment(1_000);

    for (const reason of ['no', 'x'.repeat(201)]) {
      const response = await refund(t, manager, paymentId, { amountCents: 100, reason });
      expect(response.statusCode).toBe(400);
      expect(response.json().fields[0].path).toBe('body/reason');
    }
    const missing = await refund(t, manager, paymentId, { amountCents: 100 });
    expect(missing.json().fields[0].path).toBe('body/reason');
    expect(await refundsOf(paymentId)).toHaveLength(0);
  });

  it('replays a refund for the same key and refuses the key for another amount', async () => {
    const { paymentId } = await cardPayment(6_000);
    const key = newKey();

    const first = await refund(t, manager, paymentId, { amountCents: 1_000, reason: 'dup' }, key);
    const replay = await refund(t, manager, paymentId, { amountCents: 1_000, reason: 'dup' }, key);
    const mismatch = await refund(t, manager, paymentId, { amountCents: 900, reason: 'dup' }, key);

    expect(replay.json()).toEqual(first.json());
    expect(mismatch.statusCode).toBe(422);
    expect(await refundsOf(paymentId)).toHaveLength(1);
  });

  it('pays a cash refund out of the refunding operator’s open drawer', async () => {
    const refunder = await signIn(t, restaurant, 'manager');
    const seller = await signIn(t, restaurant, 'cashier');
    await openDrawer(t, seller);
    const orderId = await seedOrder(t, restaurant, seller.id, { totalCents: 2_000 });
    const cash = await pay(t, seller, orderId, { method: 'cash', amountCents: 2_000 });

    const withoutDrawer = await refund(t, refunder, cash.json().id, {
      amountCents: 500,
      reason: 'troco errado',
    });
    const drawer = await openDrawer(t, refunder);
    const withDrawer = await refund(t, refunder, cash.json().id, {
      amountCents: 500,
      reason: 'troco errado',
    });

    expect(withoutDrawer.json().code).toBe('POS_ERR_CASHIER_SESSION_REQUIRED');
    expect(withDrawer.json().cashierSessionId).toBe(drawer);
  });

  it('refuses to refund a pending PIX charge', async () => {
    await t.context.database.kysely
      .updateTable('restaurants')
      .set({ pix_key: 'pagamentos@cantina.com.br' })
      .where('id', '=', restaurant.id)
      .execute();
    const orderId = await seedOrder(t, restaurant, cashier.id, { totalCents: 1_000 });
    const pix = await pay(t, cashier, orderId, { method: 'pix', amountCents: 1_000 });

    const response = await refund(t, manager, pix.json().id, { amountCents: 1_000, reason: 'pix' });

    expect(response.statusCode).toBe(409);
    expect(await refundsOf(pix.json().id)).toHaveLength(0);
  });

  it('keeps the sum of concurrent refunds within the payment (10 × 40%)', async () => {
    const { orderId, paymentId } = await cardPayment(10_000);

    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        refund(t, manager, paymentId, { amountCents: 4_000, reason: `concorrente ${index}` }),
      ),
    );

    const succeeded = answers.filter((answer) => answer.statusCode === 201);
    // Two fit (8,000 of 10,000); every other one finds 2,000 left.
    expect(succeeded).toHaveLength(2);
    for (const answer of answers.filter((a) => a.statusCode !== 201)) {
      expect(answer.statusCode).toBe(409);
    }
    const rows = await refundsOf(paymentId);
    const total = rows.reduce((sum, row) => sum + row.amount_cents, 0);
    expect(total).toBeLessThanOrEqual(10_000);
    expect(rows).toHaveLength(succeeded.length);
    const payment = await t.context.database.kysely
      .selectFrom('payments')
      .select('refunded_cents')
      .where('id', '=', paymentId)
      .executeTakeFirstOrThrow();
    expect(payment.refunded_cents).toBe(total);
    expect((await orderRow(t, orderId)).paid_cents).toBe(10_000 - total);
  });
});
