import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import {
  nextTotp,
  seedRestaurant,
  seedUser,
  signIn,
  type SignedInUser,
} from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import { AppError } from '../../core/errors.js';
import { trustedRestaurantId } from '../../infra/db/tenant.js';
import { inTransaction } from '../../infra/db/transaction.js';
import type { Restaurant } from '../restaurants/repository.js';
import { consumeApproval, type ApprovalAction } from './approvals.js';
import { IDENTITY_TEST_ENV, postLogin, userRow } from './auth.test-helpers.js';

const APPROVAL_TTL_MS = 120_000;

interface Request {
  action: ApprovalAction;
  resourceId: string;
  amountCents: number;
}

describe.each(testDialects())('manager approvals (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  let cashier: SignedInUser;
  let manager: SignedInUser;

  beforeAll(async () => {
    t = await buildTestApp({ dialect, env: { ...IDENTITY_TEST_ENV } });
    restaurant = await seedRestaurant(t);
    cashier = await signIn(t, restaurant, 'cashier');
    manager = await signIn(t, restaurant, 'manager');
  });
  afterAll(() => t.close());

  const refund = (amountCents = 5_000): Request => ({
    action: 'refund',
    resourceId: randomUUID(),
    amountCents,
  });

  function requestApproval(
    request: Request,
    approver: { username: string; password: string; totp?: string },
    requester: SignedInUser = cashier,
  ) {
    return t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/approvals',
      headers: requester.headers,
      payload: { ...request, ...approver },
    });
  }

  /** A manager's approval as a terminal obtains it: password and a fresh TOTP code. */
  async function granted(request: Request, approver: SignedInUser = manager): Promise<string> {
    const response = await requestApproval(request, {
      username: approver.username,
      password: approver.password,
      totp: nextTotp(t, approver.totpSecret!),
    });
    expect(response.statusCode).toBe(201);
    return response.json<{ approvalToken: string }>().approvalToken;
  }

  /** What the action's own transaction does with the token; the approver's id or the error code. */
  async function consume(token: string, request: Request, restaurantId = restaurant.id) {
    try {
      return await inTransaction(t.context.database, (tx) =>
        consumeApproval(t.context, tx, {
          restaurantId: trustedRestaurantId(restaurantId),
          token,
          ...request,
        }),
      );
    } catch (error) {
      if (error instanceof AppError) return error.code;
      throw error;
    }
  }

  it('grants a single-use approval bound to the action, resource and amount, and audits it', async () => {
    const request = refund();
    const response = await requestApproval(request, {
      username: manager.username,
      password: manager.password,
      totp: nextTotp(t, manager.totpSecret!),
    });

    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({
      action: 'refund',
      resourceId: request.resourceId,
      maxAmountCents: 5_000,
      expiresAt: new Date(t.clock.now().getTime() + APPROVAL_TTL_MS).toISOString(),
    });
    expect(await consume(body.approvalToken, request)).toBe(manager.id);
    expect(await consume(body.approvalToken, request)).toBe('POS_ERR_APPROVAL_INVALID');
    const [entry] = await auditEntries(t, {
      action: 'auth.approval_grant',
      resourceId: request.resourceId,
    });
    expect(entry).toMatchObject({ actor_id: manager.id, actor_role: 'manager' });
    expect(detailsOf(entry!)).toMatchObject({ requestedBy: cashier.id, maxAmountCents: 5_000 });
    const stored = await t.context.database.kysely
      .selectFrom('approvals')
      .select('token_hash')
      .execute();
    expect(stored.map((row) => row.token_hash)).not.toContain(body.approvalToken);
  });

  it('expires after two minutes', async () => {
    const request = refund();
    const token = await granted(request);

    t.clock.advance(APPROVAL_TTL_MS + 1_000);

    expect(await consume(token, request)).toBe('POS_ERR_APPROVAL_INVALID');
  });

  it('refuses another action, another resource or a larger amount, and allows a smaller one', async () => {
    const request = refund(5_000);
    const token = await granted(request);

    expect(await consume(token, { ...request, action: 'void' })).toBe('POS_ERR_APPROVAL_INVALID');
    expect(await consume(token, { ...request, resourceId: randomUUID() })).toBe(
      'POS_ERR_APPROVAL_INVALID',
    );
    expect(await consume(token, { ...request, amountCents: 5_001 })).toBe(
      'POS_ERR_APPROVAL_INVALID',
    );
    expect(await consume(token, { ...request, amountCents: 4_000 })).toBe(manager.id);
  });

  it("refuses another restaurant's approval and a made-up token", async () => {
    const request = refund();
    const token = await granted(request);
    const elsewhere = await seedRestaurant(t);

    expect(await consume(token, request, elsewhere.id)).toBe('POS_ERR_APPROVAL_INVALID');
    expect(await consume(randomUUID(), request)).toBe('POS_ERR_APPROVAL_INVALID');
    expect(await consume(token, request)).toBe(manager.id);
  });

  it('lets two concurrent uses of one approval succeed at most once', async () => {
    const request = refund();
    const token = await granted(request);

    const outcomes = await Promise.all([
      consume(token, request),
      consume(token, request),
      consume(token, request),
    ]);

    expect(outcomes.filter((outcome) => outcome === manager.id)).toHaveLength(1);
  });

  describe('refuses to grant', () => {
    async function expectRefused(
      approver: { username: string; password: string; totp?: string },
      requester: SignedInUser = cashier,
    ) {
      const before = await t.context.database.kysely.selectFrom('approvals').select('id').execute();
      const request = refund();

      const response = await requestApproval(request, approver, requester);

      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('POS_ERR_UNAUTHENTICATED');
      const after = await t.context.database.kysely.selectFrom('approvals').select('id').execute();
      expect(after).toHaveLength(before.length);
      return response;
    }

    it('with a cashier as the approver, even with the right password', async () => {
      const other = await signIn(t, restaurant, 'cashier');

      await expectRefused({ username: other.username, password: other.password });
    });

    it('without the manager’s second-factor code, or with a used one', async () => {
      await expectRefused({ username: manager.username, password: manager.password });
      const code = nextTotp(t, manager.totpSecret!);
      expect(
        (
          await requestApproval(refund(), {
            username: manager.username,
            password: manager.password,
            totp: code,
          })
        ).statusCode,
      ).toBe(201);

      await expectRefused({ username: manager.username, password: manager.password, totp: code });
    });

    it('for an unknown approver, with the same body as a wrong password', async () => {
      const unknown = await expectRefused({ username: 'nobody', password: 'Qualquer-Coisa-55' });
      const wrong = await expectRefused({
        username: manager.username,
        password: 'Qualquer-Coisa-55',
      });

      expect(wrong.body).toBe(unknown.body);
    });

    it('for a manager of another restaurant', async () => {
      const elsewhere = await seedRestaurant(t);
      const foreignCashier = await signIn(t, elsewhere, 'cashier');

      await expectRefused(
        {
          username: manager.username,
          password: manager.password,
          totp: nextTotp(t, manager.totpSecret!),
        },
        foreignCashier,
      );
    });

    it('for a manager who has not enrolled the second factor yet', async () => {
      const pending = await seedUser(t, restaurant, 'manager');

      await expectRefused({ username: pending.username, password: pending.password });
    });
  });

  it('counts wrong manager passwords toward the manager’s lockout, as at login', async () => {
    const target = await signIn(t, restaurant, 'manager');
    const wrong = { username: target.username, password: 'Senha-Chutada-0001' };

    for (let i = 0; i < 9; i += 1) {
      expect((await requestApproval(refund(), wrong)).statusCode).toBe(401);
    }
    expect(await userRow(t, target.id)).toMatchObject({ status: 'active', failed_login_count: 9 });
    expect((await requestApproval(refund(), wrong)).statusCode).toBe(401);

    expect(await userRow(t, target.id)).toMatchObject({ status: 'locked', failed_login_count: 10 });
    const [lockout] = await auditEntries(t, { type: 'account_lockout', resourceId: target.id });
    expect(detailsOf(lockout!)).toEqual({ failures: 10, lockedMinutes: 30 });
    const login = await postLogin(t, {
      restaurant: restaurant.slug,
      username: target.username,
      password: target.password,
      totp: nextTotp(t, target.totpSecret!),
    });
    expect(login.statusCode).toBe(401);
    const approval = await requestApproval(refund(), {
      username: target.username,
      password: target.password,
      totp: nextTotp(t, target.totpSecret!),
    });
    expect(approval.statusCode).toBe(401);
    const failures = await auditEntries(t, { action: 'auth.approval', actorId: cashier.id });
    expect(failures.map((entry) => detailsOf(entry).reason)).toContain('bad_password');
  });

  it('resets the manager’s failure count after a successful approval', async () => {
    const target = await signIn(t, restaurant, 'manager');
    await requestApproval(refund(), { username: target.username, password: 'Senha-Chutada-0002' });
    expect((await userRow(t, target.id)).failed_login_count).toBe(1);

    await granted(refund(), target);

    expect((await userRow(t, target.id)).failed_login_count).toBe(0);
  });
});
