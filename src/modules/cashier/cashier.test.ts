import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries } from '../../../test/helpers/audit.js';
import {
  approve,
  countRows,
  openDrawer,
  pay,
  refund,
  seedOrder,
} from '../payments/payments.test-helpers.js';
import type { Restaurant } from '../restaurants/repository.js';

describe.each(testDialects())('cash drawer (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  let manager: SignedInUser;

  beforeAll(async () => {
    t = await buildTestApp({
      dialect,
      env: { CHEFIA_CASH_WITHDRAWAL_APPROVAL_CENTS: '5000' },
    });
    restaurant = await seedRestaurant(t);
    manager = await signIn(t, restaurant, 'manager');
  });
  afterAll(() => t.close());

  const post = (user: SignedInUser, url: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url, headers: user.headers, payload });
  const session = (user: SignedInUser, id: string) =>
    t.app.inject({ method: 'GET', url: `/api/v1/cashier/sessions/${id}`, headers: user.headers });

  it('opens a session with the opening float and audits it', async () => {
    const operator = await signIn(t, restaurant, 'cashier');

    const response = await post(operator, '/api/v1/cashier/sessions', {
      terminalId: 'caixa-open',
      openingFloatCents: 15_000,
    });

    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      operatorId: operator.id,
      terminalId: 'caixa-open',
      status: 'open',
      openingFloatCents: 15_000,
      expectedCents: 15_000,
    });
    const [entry] = await auditEntries(t, {
      action: 'cashier.session_open',
      resourceId: response.json().id,
    });
    expect(entry).toMatchObject({ event_type: 'object_created', actor_id: operator.id });
    expect(JSON.parse(entry!.details)).toEqual({
      terminalId: 'caixa-open',
      openingFloatCents: 15_000,
    });
  });

  it('allows one open session per operator and one per terminal', async () => {
    const first = await signIn(t, restaurant, 'cashier');
    const second = await signIn(t, restaurant, 'cashier');
    await openDrawer(t, first, 0, 'caixa-unique');

    const sameOperator = await post(first, '/api/v1/cashier/sessions', {
      terminalId: 'caixa-other',
      openingFloatCents: 0,
    });
    const sameTerminal = await post(second, '/api/v1/cashier/sessions', {
      terminalId: 'caixa-unique',
      openingFloatCents: 0,
    });

    expect(sameOperator.statusCode).toBe(409);
    expect(sameOperator.json().code).toBe('POS_ERR_CONFLICT');
    expect(sameTerminal.statusCode).toBe(409);
  });

  it('lets only one of two concurrent opens on the same terminal succeed', async () => {
    const first = await signIn(t, restaurant, 'cashier');
    const second = await signIn(t, restaurant, 'cashier');

    const answers = await Promise.all(
      [first, second].map((user) =>
        post(user, '/api/v1/cashier/sessions', { terminalId: 'caixa-race', openingFloatCents: 0 }),
      ),
    );

    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409]);
    const open = await t.context.database.kysely
      .selectFrom('cashier_sessions')
      .select('id')
      .where('terminal_id', '=', 'caixa-race')
      .where('status', '=', 'open')
      .execute();
    expect(open).toHaveLength(1);
  });

  it('records deposits and withdrawals within the limit without approval', async () => {
    const operator = await signIn(t, restaurant, 'cashier');
    const id = await openDrawer(t, operator, 10_000);

    const deposit = await post(operator, `/api/v1/cashier/sessions/${id}/deposits`, {
      amountCents: 2_000,
      reason: 'troco extra',
    });
    const withdrawal = await post(operator, `/api/v1/cashier/sessions/${id}/withdrawals`, {
      amountCents: 5_000,
      reason: 'sangria',
    });

    expect(deposit.statusCode).toBe(201);
    expect(withdrawal.statusCode).toBe(201);
    expect(withdrawal.json()).toMatchObject({ kind: 'withdrawal', approvedBy: null });
    expect(withdrawal.json().session).toMatchObject({
      depositsCents: 2_000,
      withdrawalsCents: 5_000,
      expectedCents: 7_000,
    });
    expect(await auditEntries(t, { action: 'cashier.deposit', resourceId: id })).toHaveLength(1);
    expect(await auditEntries(t, { action: 'cashier.withdrawal', resourceId: id })).toHaveLength(1);
  });

  it('requires a manager approval for a cashier withdrawal above the limit', async () => {
    const operator = await signIn(t, restaurant, 'cashier');
    const id = await openDrawer(t, operator, 20_000);
    const url = `/api/v1/cashier/sessions/${id}/withdrawals`;
    const before = await countRows(t, 'cashier_movements');

    const refused = await post(operator, url, { amountCents: 6_000, reason: 'sangria' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('POS_ERR_APPROVAL_INVALID');
    expect(await countRows(t, 'cashier_movements')).toBe(before);

    const token = await approve(t, manager, operator, {
      action: 'withdrawal',
      resourceId: id,
      amountCents: 6_000,
    });
    const approved = await post(operator, url, {
      amountCents: 6_000,
      reason: 'sangria',
      approvalToken: token,
    });
    expect(approved.statusCode).toBe(201);
    expect(approved.json().approvedBy).toBe(manager.id);

    const reused = await post(operator, url, {
      amountCents: 6_000,
      reason: 'sangria',
      approvalToken: token,
    });
    expect(reused.statusCode).toBe(403);
    expect(reused.json().code).toBe('POS_ERR_APPROVAL_INVALID');
    const [entry] = await auditEntries(t, { action: 'cashier.withdrawal', resourceId: id });
    expect(JSON.parse(entry!.details)).toMatchObject({ aboveLimit: true, approvedBy: manager.id });
  });

  it('refuses an approval bound to another session or a smaller amount', async () => {
    const operator = await signIn(t, restaurant, 'cashier');
    const id = await openDrawer(t, operator, 20_000);
    const url = `/api/v1/cashier/sessions/${id}/withdrawals`;

    const otherSession = await approve(t, manager, operator, {
      action: 'withdrawal',
      resourceId: 'another-session',
      amountCents: 9_000,
    });
    const smaller = await approve(t, manager, operator, {
      action: 'withdrawal',
      resourceId: id,
      amountCents: 5_500,
    });

    for (const approvalToken of [otherSession, smaller]) {
      const response = await post(operator, url, {
        amountCents: 6_000,
        reason: 'sangria',
        approvalToken,
      });
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('POS_ERR_APPROVAL_INVALID');
    }
    expect((await session(operator, id)).json().withdrawalsCents).toBe(0);
  });

  it('lets a manager withdraw above the limit alone, but never more than the drawer holds', async () => {
    const id = await openDrawer(t, manager, 8_000);
    const url = `/api/v1/cashier/sessions/${id}/withdrawals`;

    const alone = await post(manager, url, { amountCents: 7_000, reason: 'deposito banco' });
    const tooMuch = await post(manager, url, { amountCents: 1_001, reason: 'deposito banco' });

    expect(alone.statusCode).toBe(201);
    expect(tooMuch.statusCode).toBe(409);
    expect(tooMuch.json().code).toBe('POS_ERR_AMOUNT_EXCEEDS_BALANCE');

    const close = await post(manager, `/api/v1/cashier/sessions/${id}/close`, {
      countedCents: 1_000,
    });
    expect(close.statusCode).toBe(200);
  });

  it('closes with expected = float + cash sales − cash refunds + deposits − withdrawals', async () => {
    const operator = await signIn(t, restaurant, 'cashier');
    const refunder = await signIn(t, restaurant, 'manager');
    const id = await openDrawer(t, operator, 10_000);
    const refunderDrawer = await openDrawer(t, refunder, 0);
    const order = await seedOrder(t, restaurant, operator.id, { totalCents: 4_500 });
    const cash = await pay(t, operator, order, {
      method: 'cash',
      amountCents: 4_500,
      tenderedCents: 5_000,
    });
    const card = await pay(t, operator, await seedOrder(t, restaurant, operator.id), {
      method: 'debit',
      amountCents: 10_000,
      card: { brand: 'visa', last4: '1234', authorizationCode: 'A1', nsu: '99' },
    });
    expect([cash.statusCode, card.statusCode]).toEqual([201, 201]);
    await post(operator, `/api/v1/cashier/sessions/${id}/deposits`, {
      amountCents: 1_000,
      reason: 'troco',
    });
    await post(operator, `/api/v1/cashier/sessions/${id}/withdrawals`, {
      amountCents: 2_000,
      reason: 'sangria',
    });
    const paidBack = await refund(t, refunder, cash.json().id, {
      amountCents: 500,
      reason: 'item errado',
    });
    expect(paidBack.statusCode).toBe(201);

    const closed = await post(operator, `/api/v1/cashier/sessions/${id}/close`, {
      countedCents: 12_400,
    });

    expect(closed.statusCode).toBe(200);
    // The refund came out of the refunder's drawer, not this one.
    expect(closed.json()).toMatchObject({
      status: 'closed',
      cashSalesCents: 4_500,
      cashRefundsCents: 0,
      depositsCents: 1_000,
      withdrawalsCents: 2_000,
      expectedCents: 13_500,
      countedCents: 12_400,
      differenceCents: -1_100,
      closedBy: operator.id,
    });
    expect((await session(refunder, refunderDrawer)).json()).toMatchObject({
      cashRefundsCents: 500,
      expectedCents: -500,
    });
    const [entry] = await auditEntries(t, { action: 'cashier.session_close', resourceId: id });
    expect(JSON.parse(entry!.details)).toEqual({
      expectedCents: 13_500,
      countedCents: 12_400,
      differenceCents: -1_100,
    });
  });

  it('refuses movements on a closed session and a second close', async () => {
    const operator = await signIn(t, restaurant, 'cashier');
    const id = await openDrawer(t, operator, 1_000);
    await post(operator, `/api/v1/cashier/sessions/${id}/close`, { countedCents: 1_000 });

    const again = await post(operator, `/api/v1/cashier/sessions/${id}/close`, {
      countedCents: 0,
    });
    const deposit = await post(operator, `/api/v1/cashier/sessions/${id}/deposits`, {
      amountCents: 100,
      reason: 'troco',
    });

    expect(again.statusCode).toBe(409);
    expect(deposit.statusCode).toBe(409);
    expect((await session(operator, id)).json()).toMatchObject({
      countedCents: 1_000,
      depositsCents: 0,
    });
  });

  it('requires an open session of the operator for cash payments', async () => {
    const operator = await signIn(t, restaurant, 'cashier');
    const order = await seedOrder(t, restaurant, operator.id, { totalCents: 1_000 });

    const response = await pay(t, operator, order, { method: 'cash', amountCents: 1_000 });

    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('POS_ERR_CASHIER_SESSION_REQUIRED');
    const payments = await t.context.database.kysely
      .selectFrom('payments')
      .select('id')
      .where('order_id', '=', order)
      .execute();
    expect(payments).toHaveLength(0);
  });

  describe('security', () => {
    it("refuses another cashier's session with 403 and changes nothing", async () => {
      const owner = await signIn(t, restaurant, 'cashier');
      const intruder = await signIn(t, restaurant, 'cashier');
      const id = await openDrawer(t, owner, 5_000);

      const read = await session(intruder, id);
      const take = await post(intruder, `/api/v1/cashier/sessions/${id}/withdrawals`, {
        amountCents: 100,
        reason: 'sangria',
      });
      const close = await post(intruder, `/api/v1/cashier/sessions/${id}/close`, {
        countedCents: 0,
      });

      for (const response of [read, take, close]) {
        expect(response.statusCode).toBe(403);
        expect(response.json().code).toBe('POS_ERR_FORBIDDEN');
      }
      expect((await session(owner, id)).json()).toMatchObject({
        status: 'open',
        withdrawalsCents: 0,
      });
    });

    it('rejects mass assignment of the operator, the status or the expected amount', async () => {
      const operator = await signIn(t, restaurant, 'cashier');
      const before = await countRows(t, 'cashier_sessions');

      const response = await post(operator, '/api/v1/cashier/sessions', {
        terminalId: 'caixa-mass',
        openingFloatCents: 0,
        operatorId: manager.id,
        status: 'closed',
        expectedCents: 1,
      });

      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('POS_ERR_VALIDATION');
      expect(await countRows(t, 'cashier_sessions')).toBe(before);
    });

    it('rejects negative, fractional and oversized amounts', async () => {
      const operator = await signIn(t, restaurant, 'cashier');
      const id = await openDrawer(t, operator, 5_000);

      for (const amountCents of [-1, 0, 10.5, 1e12, '100']) {
        const response = await post(operator, `/api/v1/cashier/sessions/${id}/deposits`, {
          amountCents,
          reason: 'troco',
        });
        expect(response.statusCode).toBe(400);
        expect(response.json().code).toBe('POS_ERR_VALIDATION');
      }
      expect((await session(operator, id)).json().depositsCents).toBe(0);
    });
  });
});
