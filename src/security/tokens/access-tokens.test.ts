import { createHmac, randomUUID } from 'node:crypto';

import { SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, seedUser, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { inTransaction } from '../../infra/db/transaction.js';
import {
  IDENTITY_TEST_ENV,
  UNAUTHENTICATED,
  b64url,
  bearer,
  getMe,
  partsOf,
  postLogin,
  withClaims,
} from '../../modules/auth/auth.test-helpers.js';
import type { Restaurant } from '../../modules/restaurants/repository.js';
import { principalOf } from '../authz/principal.js';
import { AUDIENCE, ISSUER } from './access-tokens.js';
import { rotateSigningKey } from './signing-keys.js';

const TTL_SECONDS = 900;

describe('access tokens', () => {
  let t: TestApp;
  let restaurant: Restaurant;
  let cashier: SignedInUser;

  beforeAll(async () => {
    t = await buildTestApp({
      env: { ...IDENTITY_TEST_ENV },
      routes: (app) => {
        app.get(
          '/api/v1/test/principal',
          { config: { access: { authenticated: true } } },
          async (request) => {
            const principal = principalOf(request);
            return {
              id: principal.id,
              role: principal.role,
              restaurantId: principal.restaurantId,
              customerId: principal.customerId,
            };
          },
        );
      },
    });
    restaurant = await seedRestaurant(t);
    cashier = await signIn(t, restaurant, 'cashier');
  });
  afterAll(() => t.close());

  /** Signs `payload` with the server's own current key, as only the server can. */
  async function signWithServerKey(
    payload: JWTPayload,
    options: { key?: { kid: string; key: CryptoKey } } = {},
  ): Promise<string> {
    const { kid, key } = options.key ?? (await t.context.auth.signingKeys.signingKey());
    return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' }).sign(key);
  }

  /** The claims of a fresh, valid token for the cashier, to vary one at a time. */
  function validClaims(): JWTPayload {
    const now = Math.floor(t.clock.now().getTime() / 1000);
    return {
      ...partsOf(cashier.accessToken).payload,
      jti: randomUUID(),
      iat: now,
      exp: now + TTL_SECONDS,
    };
  }

  async function expectRefused(token: string): Promise<void> {
    const response = await getMe(t, token);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(UNAUTHENTICATED);
  }

  it('accepts a token the server signed, so every refusal below is about one change', async () => {
    expect((await getMe(t, cashier.accessToken)).statusCode).toBe(200);
    expect((await getMe(t, await signWithServerKey(validClaims()))).statusCode).toBe(200);
  });

  it('carries jti, iat, exp, sub, restaurant, role, type, issuer, audience and kid', () => {
    const { header, payload } = partsOf(cashier.accessToken);

    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'JWT' });
    expect(header.kid).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(payload).toMatchObject({
      typ: 'access',
      sub: cashier.id,
      rid: restaurant.id,
      role: 'cashier',
      iss: ISSUER,
      aud: AUDIENCE,
    });
    expect(payload.exp).toBe(Number(payload.iat) + TTL_SECONDS);
    expect(payload.jti).toEqual(expect.any(String));
  });

  describe('refuses, always with the same body', () => {
    it('a request with no token, or a header that is not a bearer JWT', async () => {
      const headers = [
        {},
        { authorization: '' },
        { authorization: 'Bearer' },
        { authorization: `Basic ${b64url('admin:admin')}` },
        { authorization: `bearer ${cashier.accessToken}` },
        { authorization: `Bearer ${cashier.accessToken} extra` },
        { authorization: `Bearer ${cashier.accessToken}.` },
      ];
      for (const header of headers) {
        const response = await t.app.inject({
          method: 'GET',
          url: '/api/v1/auth/me',
          headers: header,
        });

        expect(response.statusCode).toBe(401);
        expect(response.json()).toEqual(UNAUTHENTICATED);
      }
    });

    it('a truncated or altered signature', async () => {
      const token = cashier.accessToken;
      const [header, payload, signature = ''] = token.split('.');
      const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;

      await expectRefused(token.slice(0, -1));
      await expectRefused(`${header}.${payload}.${signature.slice(0, 20)}`);
      await expectRefused(`${header}.${payload}.${flipped}`);
    });

    it.each(['none', 'None', 'NONE', 'nOnE'])('alg "%s", signed or not', async (alg) => {
      const { header, payload } = partsOf(cashier.accessToken);
      const unsigned = `${b64url({ ...header, alg })}.${b64url(payload)}`;

      await expectRefused(`${unsigned}.`);
      await expectRefused(`${unsigned}.${b64url('signature')}`);
      await expectRefused(`${unsigned}.${partsOf(cashier.accessToken).signature}`);
    });

    it('HS256 signed with the public key as the HMAC secret (algorithm confusion)', async () => {
      const { header, payload } = partsOf(cashier.accessToken);
      const jwk = t.context.auth.signingKeys.jwks().keys.find((key) => key.kid === header.kid);
      if (!jwk?.x) throw new Error('current key missing from the JWKS');
      const secrets = [
        Buffer.from(JSON.stringify(jwk)),
        Buffer.from(jwk.x, 'base64url'),
        Buffer.from(jwk.x),
      ];

      for (const secret of secrets) {
        for (const alg of ['HS256', 'HS512']) {
          const input = `${b64url({ ...header, alg })}.${b64url(payload)}`;
          const mac = createHmac(alg === 'HS256' ? 'sha256' : 'sha512', secret)
            .update(input)
            .digest('base64url');

          await expectRefused(`${input}.${mac}`);
        }
      }
    });

    it.each([
      ['path traversal', '../../etc/passwd'],
      ['SQL injection', "' OR 1=1--"],
      ['NoSQL operator', '{"$ne":null}'],
      ['very long', 'k'.repeat(10_000)],
      ['not a string', 42],
      ['unknown but well-formed', 'AAAAAAAAAAAAAAAA'],
    ])('a kid injection: %s', async (_name, kid) => {
      const { header, payload, signature } = partsOf(cashier.accessToken);

      await expectRefused(`${b64url({ ...header, kid })}.${b64url(payload)}.${signature}`);
    });

    it.each([
      ['role', { role: 'admin' }],
      ['restaurant', { rid: randomUUID() }],
      ['subject', { sub: randomUUID() }],
      ['expiry', { exp: 4_102_444_800 }],
    ])('a tampered %s, re-encoded under the original signature', async (_name, change) => {
      await expectRefused(withClaims(cashier.accessToken, change));
    });

    it('an expired token, once the clock tolerance has passed', async () => {
      const user = await signIn(t, restaurant, 'waiter');

      t.clock.advance((TTL_SECONDS - 1) * 1000);
      expect((await getMe(t, user.accessToken)).statusCode).toBe(200);
      t.clock.advance(7_000);

      await expectRefused(user.accessToken);
    });

    it('a token whose nbf lies in the future', async () => {
      const now = Math.floor(t.clock.now().getTime() / 1000);

      await expectRefused(await signWithServerKey({ ...validClaims(), nbf: now + 120 }));
    });

    it.each([
      ['another issuer', { iss: 'someone-else' }],
      ['another audience', { aud: 'another-api' }],
      ['no jti', { jti: undefined }],
      ['no exp', { exp: undefined }],
      ['a refresh type', { typ: 'refresh' }],
      ['an unknown role', { role: 'superuser' }],
      ['a string for the password-change flag', { mcp: 'false' }],
    ])('a server-signed token with %s', async (_name, change) => {
      await expectRefused(await signWithServerKey({ ...validClaims(), ...change }));
    });

    it('a refresh token presented as an access token', async () => {
      await expectRefused(cashier.refreshToken);
      const response = await t.app.inject({
        method: 'GET',
        url: '/api/v1/auth/me',
        headers: { authorization: `Bearer ${cashier.refreshToken}` },
      });
      expect(response.json()).toEqual(UNAUTHENTICATED);
    });

    it('an access token after logout', async () => {
      const user = await signIn(t, restaurant, 'waiter');
      await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: user.headers });

      await expectRefused(user.accessToken);
    });
  });

  it('lets an enrolment-only token enrol and nothing else', async () => {
    const admin = await seedUser(t, restaurant, 'admin');
    const login = await postLogin(t, {
      restaurant: restaurant.slug,
      username: admin.username,
      password: admin.password,
    });
    const { accessToken, mfaEnrolmentRequired } = login.json<{
      accessToken: string;
      mfaEnrolmentRequired: boolean;
    }>();
    expect(mfaEnrolmentRequired).toBe(true);
    expect(partsOf(accessToken).payload.typ).toBe('mfa_enrolment');

    const users = await t.app.inject({
      method: 'GET',
      url: '/api/v1/users',
      headers: bearer(accessToken),
    });
    const sessions = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/sessions',
      headers: bearer(accessToken),
    });

    for (const response of [users, sessions]) {
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('POS_ERR_MFA_ENROLMENT_REQUIRED');
    }
    const me = await getMe(t, accessToken);
    expect(me.statusCode).toBe(200);
    expect(me.json().permissions).toEqual([]);
  });

  it('gives a customer login its customer record through the cid claim', async () => {
    const customerId = randomUUID();
    const customer = await seedUser(t, restaurant, 'customer', {
      password: 'Feijoada-de-Sabado-81',
    });
    await t.context.database.kysely
      .updateTable('users')
      .set({ customer_id: customerId })
      .where('id', '=', customer.id)
      .execute();
    const login = await postLogin(t, {
      restaurant: restaurant.slug,
      username: customer.username,
      password: customer.password,
    });
    const { accessToken } = login.json<{ accessToken: string }>();

    const response = await t.app.inject({
      method: 'GET',
      url: '/api/v1/test/principal',
      headers: bearer(accessToken),
    });

    expect(partsOf(accessToken).payload.cid).toBe(customerId);
    expect(response.json()).toEqual({
      id: customer.id,
      role: 'customer',
      restaurantId: restaurant.id,
      customerId,
    });
    const waiter = await signIn(t, restaurant, 'waiter');
    const staff = await t.app.inject({
      method: 'GET',
      url: '/api/v1/test/principal',
      headers: waiter.headers,
    });
    expect(staff.json().customerId).toBeNull();
  });

  describe('key rotation', () => {
    it('keeps verifying the old key’s tokens after a rotation, signs with the new key and publishes both', async () => {
      const keys = t.context.auth.signingKeys;
      const user = await signIn(t, restaurant, 'waiter');
      const oldKid = String(partsOf(user.accessToken).header.kid);

      const newKid = await inTransaction(t.context.database, (tx) =>
        rotateSigningKey(tx, t.context.keyRing, t.clock),
      );
      await keys.load();
      const after = await signIn(t, restaurant, 'waiter');

      expect(newKid).not.toBe(oldKid);
      expect(partsOf(after.accessToken).header.kid).toBe(newKid);
      expect((await getMe(t, user.accessToken)).statusCode).toBe(200);
      expect((await getMe(t, after.accessToken)).statusCode).toBe(200);
      const jwks = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      const published = jwks.json<{ keys: { kid: string; d?: string }[] }>().keys;
      expect(published.map((key) => key.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
      expect(published.every((key) => key.d === undefined)).toBe(true);
    });

    it('refuses the retired key once its grace (token lifetime plus reload slack) has passed', async () => {
      const keys = t.context.auth.signingKeys;
      const retiring = await keys.signingKey();
      const now = Math.floor(t.clock.now().getTime() / 1000);
      // Signed with the retiring key and valid for a day, so that only the key's retirement can
      // explain the refusal at the end.
      const longLived = await signWithServerKey(
        { ...validClaims(), exp: now + 86_400 },
        { key: retiring },
      );

      await inTransaction(t.context.database, (tx) =>
        rotateSigningKey(tx, t.context.keyRing, t.clock),
      );
      await keys.load();
      expect((await getMe(t, longLived)).statusCode).toBe(200);
      t.clock.advance((TTL_SECONDS + 60) * 1000);
      expect((await getMe(t, longLived)).statusCode).toBe(200);

      t.clock.advance(61_000);

      await expectRefused(longLived);
      expect(await keys.verificationKey(retiring.kid)).toBeNull();
      const jwks = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      expect(jwks.json().keys.map((key: { kid: string }) => key.kid)).not.toContain(retiring.kid);
      const fresh = await signIn(t, restaurant, 'waiter');
      expect((await getMe(t, fresh.accessToken)).statusCode).toBe(200);
    });

    it('stores the private keys encrypted', async () => {
      const rows = await t.context.database.kysely
        .selectFrom('signing_keys')
        .select(['private_jwk', 'public_jwk'])
        .execute();

      for (const row of rows) {
        expect(row.private_jwk).not.toContain('"d"');
        expect(JSON.parse(row.public_jwk)).not.toHaveProperty('d');
      }
    });
  });
});
