import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { nextTotp, seedRestaurant, seedUser, signIn } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import { decryptField } from '../../security/crypto/index.js';
import type { Role } from '../../security/authz/permissions.js';
import type { Restaurant } from '../restaurants/repository.js';
import { IDENTITY_TEST_ENV, bearer, postLogin, userRow } from './auth.test-helpers.js';
import { currentTotp } from './totp.js';

const RECOVERY_CODE = /^[a-z2-9]{5}-[a-z2-9]{5}$/;

describe.each(testDialects())('second factor (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;

  beforeAll(async () => {
    t = await buildTestApp({ dialect, env: { ...IDENTITY_TEST_ENV } });
    restaurant = await seedRestaurant(t);
  });
  afterAll(() => t.close());

  async function firstLogin(role: Role) {
    const user = await seedUser(t, restaurant, role);
    const login = await postLogin(t, {
      restaurant: restaurant.slug,
      username: user.username,
      password: user.password,
    });
    expect(login.statusCode).toBe(200);
    const body = login.json<{ accessToken: string; mfaEnrolmentRequired: boolean }>();
    return { ...user, ...body };
  }

  /** Signs a new admin in and enrols them, keeping what enrolment showed once. */
  async function enrolledAdmin() {
    const user = await firstLogin('admin');
    const setup = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa/setup',
      headers: bearer(user.accessToken),
    });
    const { secret } = setup.json<{ secret: string }>();
    const verify = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa/verify',
      headers: bearer(user.accessToken),
      payload: { code: nextTotp(t, secret) },
    });
    expect(verify.statusCode).toBe(200);
    const { recoveryCodes } = verify.json<{ recoveryCodes: string[] }>();
    return { ...user, secret, recoveryCodes };
  }

  const login = (
    user: { username: string; password: string },
    second: { totp?: string; recoveryCode?: string } = {},
  ) =>
    postLogin(t, {
      restaurant: restaurant.slug,
      username: user.username,
      password: user.password,
      ...second,
    });

  it.each(['admin', 'manager'] as const)(
    'gives a %s without a second factor an enrolment-only token',
    async (role) => {
      const user = await firstLogin(role);

      const sessions = await t.app.inject({
        method: 'GET',
        url: '/api/v1/auth/sessions',
        headers: bearer(user.accessToken),
      });

      expect(user.mfaEnrolmentRequired).toBe(true);
      expect(sessions.statusCode).toBe(403);
      expect(sessions.json().code).toBe('POS_ERR_MFA_ENROLMENT_REQUIRED');
    },
  );

  it('does not require a second factor of the other roles by default', async () => {
    const user = await firstLogin('cashier');

    expect(user.mfaEnrolmentRequired).toBe(false);
  });

  it('enrols only with a code from the new secret, and returns a full access token', async () => {
    const user = await firstLogin('manager');
    const setup = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa/setup',
      headers: bearer(user.accessToken),
    });
    const { secret, otpauthUri } = setup.json<{ secret: string; otpauthUri: string }>();

    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa/verify',
      headers: bearer(user.accessToken),
      payload: { code: currentTotp(secret, t.clock.now().getTime() + 10 * 60_000) },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('POS_ERR_MFA_REQUIRED');
    expect((await userRow(t, user.id)).mfa_enabled).toBe(0);

    const right = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa/verify',
      headers: bearer(user.accessToken),
      payload: { code: nextTotp(t, secret) },
    });

    expect(setup.statusCode).toBe(200);
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    expect(otpauthUri).toContain(`secret=${secret}`);
    expect(right.statusCode).toBe(200);
    const { accessToken, recoveryCodes } = right.json<{
      accessToken: string;
      recoveryCodes: string[];
    }>();
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(recoveryCodes.every((code) => RECOVERY_CODE.test(code))).toBe(true);
    const sessions = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/sessions',
      headers: bearer(accessToken),
    });
    expect(sessions.statusCode).toBe(200);
    const [entry] = await auditEntries(t, { action: 'auth.mfa.enable', resourceId: user.id });
    expect(entry?.event_type).toBe('configuration_change');
  });

  it('stores the TOTP secret encrypted and the recovery codes hashed', async () => {
    const admin = await enrolledAdmin();

    const row = await userRow(t, admin.id);
    const codes = await t.context.database.kysely
      .selectFrom('mfa_recovery_codes')
      .select('code_hash')
      .where('user_id', '=', admin.id)
      .execute();

    expect(row.mfa_secret).not.toBeNull();
    expect(row.mfa_secret).not.toContain(admin.secret);
    expect(row.mfa_secret!.toUpperCase()).not.toContain(admin.secret.slice(0, 12));
    expect(decryptField(t.context.keyRing, row.mfa_secret!, 'users.mfa_secret')).toBe(admin.secret);
    expect(codes).toHaveLength(10);
    const stored = codes.map((code) => code.code_hash).join(' ');
    for (const code of admin.recoveryCodes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace('-', ''));
    }
  });

  it('asks an enrolled user for a code at login and accepts each code once', async () => {
    const admin = await signIn(t, restaurant, 'admin');
    const secret = admin.totpSecret!;

    const missing = await login(admin);
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe('POS_ERR_MFA_REQUIRED');

    const code = nextTotp(t, secret);
    expect((await login(admin, { totp: code })).statusCode).toBe(200);

    const replay = await login(admin, { totp: code });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('POS_ERR_MFA_REQUIRED');
    const previousStep = currentTotp(secret, t.clock.now().getTime() - 30_000);
    expect((await login(admin, { totp: previousStep })).statusCode).toBe(401);

    expect((await login(admin, { totp: nextTotp(t, secret) })).statusCode).toBe(200);
  });

  it('lets two concurrent logins with one code succeed at most once', async () => {
    const admin = await signIn(t, restaurant, 'admin');
    const code = nextTotp(t, admin.totpSecret!);

    const responses = await Promise.all([
      login(admin, { totp: code }),
      login(admin, { totp: code }),
      login(admin, { totp: code }),
    ]);

    expect(responses.filter((response) => response.statusCode === 200)).toHaveLength(1);
  });

  it('accepts each recovery code once', async () => {
    const admin = await enrolledAdmin();
    const [first, second] = admin.recoveryCodes;

    expect((await login(admin, { recoveryCode: first })).statusCode).toBe(200);
    const again = await login(admin, { recoveryCode: first });
    expect(again.statusCode).toBe(401);
    expect(again.json().code).toBe('POS_ERR_MFA_REQUIRED');
    expect((await login(admin, { recoveryCode: second!.toUpperCase() })).statusCode).toBe(200);
    expect((await login(admin, { recoveryCode: 'abcde-fghjk' })).statusCode).toBe(401);

    const used = await t.context.database.kysely
      .selectFrom('mfa_recovery_codes')
      .select('used_at')
      .where('user_id', '=', admin.id)
      .where('used_at', 'is not', null)
      .execute();
    expect(used).toHaveLength(2);
  });

  it('tells a recovery-code login from a TOTP one in the audit trail, without the code', async () => {
    const admin = await enrolledAdmin();
    const [code] = admin.recoveryCodes;

    expect((await login(admin, { recoveryCode: code })).statusCode).toBe(200);
    expect((await login(admin, { totp: nextTotp(t, admin.secret) })).statusCode).toBe(200);

    const logins = await auditEntries(t, { type: 'login_success', actorId: admin.id });
    expect(logins.map(detailsOf)).toEqual([
      { mfa: false, enrolmentPending: true, rehashed: false },
      { mfa: true, mfaFactor: 'recovery_code', enrolmentPending: false, rehashed: false },
      { mfa: true, mfaFactor: 'totp', enrolmentPending: false, rehashed: false },
    ]);
    const stored = JSON.stringify(logins);
    expect(stored).not.toContain(code);
    expect(stored).not.toContain(code!.replace('-', ''));
  });

  it('refuses to replace an enrolled factor', async () => {
    const admin = await signIn(t, restaurant, 'admin');

    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa/setup',
      headers: admin.headers,
    });

    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('POS_ERR_CONFLICT');
    expect((await userRow(t, admin.id)).mfa_enabled).toBe(1);
  });
});
