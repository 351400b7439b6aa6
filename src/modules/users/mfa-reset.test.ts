import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import {
  IDENTITY_TEST_ENV,
  bearer,
  getMe,
  postLogin,
  postRefresh,
  userRow,
} from '../auth/auth.test-helpers.js';
import type { Restaurant } from '../restaurants/repository.js';

describe.each(testDialects())('second-factor reset by an admin (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  let admin: SignedInUser;

  beforeAll(async () => {
    t = await buildTestApp({ dialect, env: { ...IDENTITY_TEST_ENV } });
    restaurant = await seedRestaurant(t);
    admin = await signIn(t, restaurant, 'admin');
  });
  afterAll(() => t.close());

  const resetMfa = (caller: { headers: { authorization: string } }, userId: string) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/users/${userId}/reset-mfa`,
      headers: caller.headers,
    });

  async function recoveryCodeCount(userId: string): Promise<number> {
    const rows = await t.context.database.kysely
      .selectFrom('mfa_recovery_codes')
      .select('id')
      .where('user_id', '=', userId)
      .execute();
    return rows.length;
  }

  /** The user's second factor is exactly as enrolment left it, and their token still works. */
  async function expectUntouched(user: SignedInUser): Promise<void> {
    const row = await userRow(t, user.id);
    expect(row.mfa_enabled).toBe(1);
    expect(row.mfa_secret).not.toBeNull();
    expect(await recoveryCodeCount(user.id)).toBe(10);
    expect((await getMe(t, user.accessToken)).statusCode).toBe(200);
    expect(await auditEntries(t, { action: 'auth.mfa.reset', resourceId: user.id })).toEqual([]);
  }

  it('removes a manager’s second factor and ends their sessions, so the next login must enrol', async () => {
    const manager = await signIn(t, restaurant, 'manager');
    expect(await recoveryCodeCount(manager.id)).toBe(10);

    const response = await resetMfa(admin, manager.id);

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: manager.id, role: 'manager', mfaEnabled: false });
    const row = await userRow(t, manager.id);
    expect(row).toMatchObject({ mfa_enabled: 0, mfa_secret: null, mfa_last_step: null });
    expect(await recoveryCodeCount(manager.id)).toBe(0);

    const oldAccess = await getMe(t, manager.accessToken);
    expect(oldAccess.statusCode).toBe(401);
    expect(oldAccess.json().code).toBe('POS_ERR_UNAUTHENTICATED');
    expect((await postRefresh(t, manager.refreshToken)).statusCode).toBe(401);

    const next = await postLogin(t, {
      restaurant: restaurant.slug,
      username: manager.username,
      password: manager.password,
    });
    expect(next.statusCode).toBe(200);
    const { accessToken, mfaEnrolmentRequired } = next.json<{
      accessToken: string;
      mfaEnrolmentRequired: boolean;
    }>();
    expect(mfaEnrolmentRequired).toBe(true);
    const restricted = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/sessions',
      headers: bearer(accessToken),
    });
    expect(restricted.statusCode).toBe(403);
    expect(restricted.json().code).toBe('POS_ERR_MFA_ENROLMENT_REQUIRED');
  });

  it('is audited as a configuration change by the admin on the user, without any secret', async () => {
    const manager = await signIn(t, restaurant, 'manager');
    const before = await userRow(t, manager.id);

    await resetMfa(admin, manager.id);

    const entries = await auditEntries(t, { action: 'auth.mfa.reset', resourceId: manager.id });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      event_type: 'configuration_change',
      outcome: 'success',
      restaurant_id: restaurant.id,
      actor_type: 'user',
      actor_id: admin.id,
      actor_role: 'admin',
      resource_type: 'user',
      resource_id: manager.id,
    });
    expect(detailsOf(entries[0]!)).toEqual({ wasEnrolled: true, sessionsRevoked: 1 });
    const stored = JSON.stringify(entries[0]);
    expect(stored).not.toContain(before.mfa_secret!);
    expect(stored).not.toContain(manager.totpSecret!);
  });

  describe('security', () => {
    it.each(['manager', 'cashier'] as const)(
      'refuses a %s, who lacks user.manage, with 403 and changes nothing',
      async (role) => {
        const caller = await signIn(t, restaurant, role);
        const target = await signIn(t, restaurant, 'manager');

        const response = await resetMfa(caller, target.id);

        expect(response.statusCode).toBe(403);
        expect(response.json().code).toBe('POS_ERR_FORBIDDEN');
        await expectUntouched(target);
        const denials = await auditEntries(t, { type: 'permission_denied', actorId: caller.id });
        expect(denials).toHaveLength(1);
      },
    );

    it('answers 404 for another restaurant’s user and changes nothing there', async () => {
      const target = await signIn(t, restaurant, 'manager');
      const otherAdmin = await signIn(t, await seedRestaurant(t), 'admin');

      const response = await resetMfa(otherAdmin, target.id);

      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('POS_ERR_NOT_FOUND');
      await expectUntouched(target);
    });

    it('answers 404 for an id that names no user', async () => {
      const response = await resetMfa(admin, randomUUID());

      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('POS_ERR_NOT_FOUND');
    });
  });
});
