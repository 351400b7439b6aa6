import { Type } from '@sinclair/typebox';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn } from '../../../test/helpers/auth.js';
import { captureLogs } from '../../../test/helpers/logs.js';
import { REDACTED, isSensitiveKey, scrubLogValue, scrubString } from './scrub.js';

/** Every value below is a secret or personal datum; none of them may reach the log. */
const SECRET = {
  forgedJwt:
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEyMyIsInJvbGUiOiJhZG1pbiJ9.c2lnbmF0dXJlLWJ5dGVzLTAx',
  refreshCookie: 'rt_Zq8Jv7pQ2mX9sL4kW1nB6yT3',
  apiKey: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
  deviceCredential: 'dev-cred-9f8e7d6c5b4a3f2e',
  queryPassword: 'Qu3ry-Passw0rd-4711',
  queryCpf: '529.982.247-25',
  bodyPassword: 'B0dy-Passw0rd-hunter2',
  bodyToken: 'tok_7HkQmZp2Vx9Lr4Wn',
  pan: '4111111111111111',
  cpf: '123.456.789-09',
  email: 'maria.silva@example.com.br',
  phone: '+55 11 98765-4321',
  wrongLoginPassword: 'Wr0ng-L0gin-Passw0rd-0041',
  malformedBodyPassword: 'Malf0rmed-Passw0rd-0042',
  oversizedBodyPassword: 'Overs1zed-Passw0rd-0043',
  errorPassword: 'Err0r-Passw0rd-0044',
  errorPan: '5500 0000 0000 0004',
  pathToken: 'eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJyZXNldC05OSJ9.cGF0aC10b2tlbi1zaWc',
  requestIdPan: '4000-0566-5566-5556',
  requestIdCpf: '98765432100',
} as const;
const CVV = '123';

const SecretsBody = Type.Object(
  {
    username: Type.String(),
    password: Type.String(),
    token: Type.String(),
    pan: Type.String(),
    cpf: Type.String(),
    email: Type.String(),
    phone: Type.String(),
  },
  { additionalProperties: false },
);

const SECRETS_BODY = {
  username: 'maria',
  password: SECRET.bodyPassword,
  token: SECRET.bodyToken,
  pan: SECRET.pan,
  cpf: SECRET.cpf,
  email: SECRET.email,
  phone: SECRET.phone,
};

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  req?: { method: string; route: string; path: string; requestId: string };
  res?: { statusCode: number };
  err?: { type: string; stack?: string };
  code?: string;
  [key: string]: unknown;
}

describe('logging', () => {
  describe('requests carrying secrets everywhere', () => {
    const logs = captureLogs();
    const responses: Record<string, LightMyRequestResponse> = {};
    const secrets: Record<string, string> = { ...SECRET };
    let t: TestApp;

    beforeAll(async () => {
      t = await buildTestApp({
        logger: logs.logger,
        routes: (app) => {
          app.post(
            '/api/v1/test/secrets',
            { config: { access: { public: true } }, schema: { body: SecretsBody } },
            async (_request, reply) => reply.code(204).send(),
          );
          app.get('/api/v1/test/boom', { config: { access: { public: true } } }, async () => {
            // A driver error that quotes what it was given, over two lines.
            throw new Error(
              `login failed for password=${SECRET.errorPassword}\n` +
                `  while charging card ${SECRET.errorPan}`,
            );
          });
          app.post(
            '/api/v1/test/careless',
            { config: { access: { public: true } } },
            async (request, reply) => {
              // What a careless handler might do; the logger's second net must still hold.
              request.log.info(
                {
                  body: request.body,
                  headers: request.headers,
                  query: request.query,
                  customer: {
                    name: 'Maria',
                    contact: { email: SECRET.email, phone: SECRET.phone },
                  },
                  note: `card ${SECRET.pan} cpf ${SECRET.cpf} auth Bearer ${SECRET.forgedJwt}`,
                },
                'careless handler',
              );
              return reply.code(204).send();
            },
          );
        },
      });
      const restaurant = await seedRestaurant(t);
      const cashier = await signIn(t, restaurant, 'cashier');
      Object.assign(secrets, {
        staffPassword: cashier.password,
        accessToken: cashier.accessToken,
        refreshToken: cashier.refreshToken,
      });
      logs.lines.length = 0;

      const signedIn = {
        ...cashier.headers,
        cookie: `__Host-refresh=${SECRET.refreshCookie}`,
        'x-device-credential': SECRET.deviceCredential,
      };
      const send = t.app.inject.bind(t.app);

      responses.forged = await send({
        method: 'GET',
        url: `/health/live?password=${SECRET.queryPassword}&cpf=${SECRET.queryCpf}`,
        headers: {
          authorization: `Bearer ${SECRET.forgedJwt}`,
          'x-api-key': SECRET.apiKey,
          'x-device-credential': SECRET.deviceCredential,
        },
      });
      responses.signedIn = await send({
        method: 'GET',
        url: `/health/live?password=${SECRET.queryPassword}&cpf=${SECRET.queryCpf}`,
        headers: signedIn,
      });
      responses.login = await send({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: {
          restaurant: restaurant.slug,
          username: cashier.username,
          password: cashier.password,
        },
      });
      responses.failedLogin = await send({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: {
          restaurant: restaurant.slug,
          username: cashier.username,
          password: SECRET.wrongLoginPassword,
        },
      });
      responses.bodySecrets = await send({
        method: 'POST',
        url: `/api/v1/test/secrets?token=${SECRET.bodyToken}`,
        payload: SECRETS_BODY,
      });
      responses.cardSecurity = await send({
        method: 'POST',
        url: '/api/v1/test/secrets',
        payload: { ...SECRETS_BODY, cvv: CVV },
      });
      responses.invalid = await send({
        method: 'POST',
        url: '/api/v1/test/secrets',
        payload: { ...SECRETS_BODY, role: 'admin', pan: 4111111111111111 },
      });
      responses.malformed = await send({
        method: 'POST',
        url: '/api/v1/test/secrets',
        headers: { 'content-type': 'application/json' },
        payload: `{"username": "maria", "password": "${SECRET.malformedBodyPassword}", `,
      });
      responses.oversized = await send({
        method: 'POST',
        url: '/api/v1/test/secrets',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({
          ...SECRETS_BODY,
          password: SECRET.oversizedBodyPassword,
          username: 'x'.repeat(2 * 1024 * 1024),
        }),
      });
      responses.boom = await send({ method: 'GET', url: '/api/v1/test/boom' });
      responses.notFound = await send({
        method: 'GET',
        url: `/api/v1/password-reset/${SECRET.pathToken}/cards/${SECRET.pan}`,
        headers: signedIn,
      });
      responses.careless = await send({
        method: 'POST',
        url: `/api/v1/test/careless?password=${SECRET.queryPassword}&cpf=${SECRET.queryCpf}`,
        // Only headers known to carry credentials by name: the second net matches key names, so
        // it cannot know that an arbitrary custom header holds a secret.
        headers: { authorization: signedIn.authorization, cookie: signedIn.cookie },
        payload: SECRETS_BODY,
      });
      // Request ids reach every line of their request as they are: these must be refused.
      for (const [name, requestId] of [
        ['panAsRequestId', SECRET.requestIdPan],
        ['cpfAsRequestId', SECRET.requestIdCpf],
        ['apiKeyAsRequestId', SECRET.apiKey],
      ] as const) {
        responses[name] = await send({
          method: 'GET',
          url: '/health/live',
          headers: { 'x-request-id': requestId },
        });
      }
      secrets.issuedAccessToken = responses.login.json<{ accessToken: string }>().accessToken;
      secrets.issuedRefreshToken = responses.login.json<{ refreshToken: string }>().refreshToken;

      // The request line is written by an onResponse hook, which can run after inject resolves.
      await waitFor(() => completedLines().length >= Object.keys(responses).length);
    });
    afterAll(() => t.close());

    const parsed = (): LogLine[] => logs.lines.map((line) => JSON.parse(line) as LogLine);
    const completedLines = () => parsed().filter((line) => line.msg === 'request completed');
    const linesOf = (response: LightMyRequestResponse) =>
      parsed().filter((line) => line.requestId === response.headers['x-request-id']);

    it('answers the requests as expected (so the log has something to show)', () => {
      expect(responses.signedIn?.statusCode).toBe(200);
      expect(responses.login?.statusCode).toBe(200);
      expect(responses.failedLogin?.statusCode).toBe(401);
      expect(responses.bodySecrets?.statusCode).toBe(204);
      expect(responses.cardSecurity?.statusCode).toBe(400);
      expect(responses.invalid?.statusCode).toBe(400);
      expect(responses.malformed?.statusCode).toBe(400);
      expect(responses.oversized?.statusCode).toBe(413);
      expect(responses.boom?.statusCode).toBe(500);
      expect(responses.notFound?.statusCode).toBe(404);
      expect(responses.careless?.statusCode).toBe(204);
      for (const name of ['panAsRequestId', 'cpfAsRequestId', 'apiKeyAsRequestId']) {
        expect(responses[name]?.statusCode, name).toBe(200);
      }
    });

    it('never logs any of the secrets, including the real password and tokens', () => {
      const text = logs.text();

      expect(Object.keys(secrets).length).toBeGreaterThan(Object.keys(SECRET).length);
      for (const [name, secret] of Object.entries(secrets)) {
        expect(text, name).not.toContain(secret);
      }
    });

    it('never logs the CVV, nor the digits of a CPF, PAN or phone without punctuation', () => {
      const text = logs.text();

      expect(text).not.toMatch(/"cvv"/i);
      expect(text).not.toContain(`"${CVV}"`);
      expect(text).not.toContain('12345678909');
      expect(text).not.toContain('4111 1111');
      expect(text).not.toContain('98765');
    });

    it('logs one allow-listed line per request: method, route, path, status and request id', () => {
      const expected: [string, string, string][] = [
        ['forged', 'GET', '/health/live'],
        ['signedIn', 'GET', '/health/live'],
        ['login', 'POST', '/api/v1/auth/login'],
        ['failedLogin', 'POST', '/api/v1/auth/login'],
        ['bodySecrets', 'POST', '/api/v1/test/secrets'],
        ['cardSecurity', 'POST', '/api/v1/test/secrets'],
        ['invalid', 'POST', '/api/v1/test/secrets'],
        ['malformed', 'POST', '/api/v1/test/secrets'],
        ['oversized', 'POST', '/api/v1/test/secrets'],
        ['boom', 'GET', '/api/v1/test/boom'],
        ['notFound', 'GET', 'unmatched'],
        ['careless', 'POST', '/api/v1/test/careless'],
        ['panAsRequestId', 'GET', '/health/live'],
        ['cpfAsRequestId', 'GET', '/health/live'],
        ['apiKeyAsRequestId', 'GET', '/health/live'],
      ];
      for (const [name, method, route] of expected) {
        const response = responses[name]!;
        const requestId = response.headers['x-request-id'] as string;
        const line = linesOf(response).find((l) => l.msg === 'request completed');

        expect(line, name).toBeDefined();
        expect(line!.level).toBe(30);
        expect(line!.req).toEqual({ method, route, path: expect.any(String), requestId });
        expect(line!.res).toEqual({ statusCode: response.statusCode });
        expect(Object.keys(line!).sort()).toEqual(
          ['level', 'msg', 'req', 'requestId', 'res', 'responseTimeMs', 'service', 'time'].sort(),
        );
      }
    });

    it('drops the query string from the logged path and masks tokens in it', () => {
      const live = linesOf(responses.signedIn!).find((l) => l.msg === 'request completed');
      const notFound = linesOf(responses.notFound!).find((l) => l.msg === 'request completed');

      expect(live?.req?.path).toBe('/health/live');
      expect(notFound?.req?.path).toBe(`/api/v1/password-reset/${REDACTED}/cards/${REDACTED}`);
    });

    it('logs client errors at info with their code, and nothing of the body', () => {
      const rejected = (response: LightMyRequestResponse) =>
        linesOf(response).find((l) => l.msg === 'request rejected');

      expect(rejected(responses.cardSecurity!)).toMatchObject({
        level: 30,
        code: 'POS_ERR_SENSITIVE_CARD_DATA',
      });
      expect(rejected(responses.invalid!)).toMatchObject({ level: 30, code: 'POS_ERR_VALIDATION' });
      expect(rejected(responses.malformed!)).toMatchObject({
        level: 30,
        code: 'POS_ERR_MALFORMED_BODY',
      });
      expect(rejected(responses.oversized!)).toMatchObject({
        level: 30,
        code: 'POS_ERR_PAYLOAD_TOO_LARGE',
      });
    });

    it('logs a 5xx at error with the error kind and stack frames, not its message', () => {
      const failed = linesOf(responses.boom!).find((l) => l.msg === 'request failed');

      expect(failed?.level).toBe(50);
      expect(failed?.err?.type).toBe('Error');
      expect(failed?.err?.stack).toMatch(/^\s+at /);
      expect(failed?.err?.stack).not.toMatch(/login failed|while charging/);
    });

    it('masks what a careless handler logs: bodies, credential headers, sensitive keys', () => {
      const careless = linesOf(responses.careless!).find((l) => l.msg === 'careless handler');

      expect(careless).toBeDefined();
      expect(careless!.body).toBe(REDACTED);
      expect(careless!.headers).toMatchObject({ authorization: REDACTED, cookie: REDACTED });
      expect(careless!.query).toEqual({ password: REDACTED, cpf: REDACTED });
      expect(careless!.customer).toEqual({
        name: 'Maria',
        contact: { email: REDACTED, phone: REDACTED },
      });
      expect(careless!.note).toBe(`card ${REDACTED} cpf ${REDACTED} auth Bearer ${REDACTED}`);
    });
  });

  describe('scrubString', () => {
    it.each([
      ['a PAN', 'card 4111111111111111 declined', `card ${REDACTED} declined`],
      ['a PAN with spaces', 'card 4111 1111 1111 1111', `card ${REDACTED}`],
      ['a PAN with dashes', 'card 5500-0000-0000-0004', `card ${REDACTED}`],
      ['a 19-digit PAN', '6011000990139424000', REDACTED],
      ['a punctuated CPF', 'cpf 123.456.789-09', `cpf ${REDACTED}`],
      ['a bare CPF', 'cpf 12345678909', `cpf ${REDACTED}`],
      ['a punctuated CNPJ', 'cnpj 12.345.678/0001-95', `cnpj ${REDACTED}`],
      ['a bare CNPJ', 'cnpj 12345678000195', `cnpj ${REDACTED}`],
      ['a JWT', `token ${SECRET.forgedJwt}`, `token ${REDACTED}`],
      [
        'a Bearer credential',
        'Authorization: Bearer abc.def-ghi_jkl',
        `Authorization: Bearer ${REDACTED}`,
      ],
      ['a Basic credential', 'Basic bWFyaWE6aHVudGVyMg==', `Basic ${REDACTED}`],
      ['an sk_ API key', `key=${SECRET.apiKey}`, `key=${REDACTED}`],
    ])('masks %s', (_case, input, output) => {
      expect(scrubString(input)).toBe(output);
    });

    it.each([
      'order 1042 for table 12',
      'total 15000 cents',
      'request 3f2a9c1e-7b4d-4e8a-9c1f-2b3d4e5f6a7b',
      '2026-01-15T12:00:00.000Z',
      'sk_short',
    ])('leaves ordinary text alone: %s', (text) => {
      expect(scrubString(text)).toBe(text);
    });
  });

  describe('scrubLogValue', () => {
    it('replaces values under sensitive keys at any depth, and masks strings elsewhere', () => {
      const input = {
        requestId: 'req-1',
        user: {
          name: 'Ana',
          profile: { email: SECRET.email, password: SECRET.bodyPassword, birthDate: '1990-01-01' },
        },
        items: [{ cardNumber: SECRET.pan }, { note: `paid with ${SECRET.pan}` }],
        headers: { Authorization: 'Bearer x', 'Set-Cookie': 'a=b', 'X-API-Key': 'k' },
        pinBlock: 'ABCD',
        refreshToken: 'rt',
        masterKey: 'mk',
        count: 3,
        ok: true,
        nothing: null,
      };

      expect(scrubLogValue(input)).toEqual({
        requestId: 'req-1',
        user: {
          name: 'Ana',
          profile: { email: REDACTED, password: REDACTED, birthDate: REDACTED },
        },
        items: [{ cardNumber: REDACTED }, { note: `paid with ${REDACTED}` }],
        headers: { Authorization: REDACTED, 'Set-Cookie': REDACTED, 'X-API-Key': REDACTED },
        pinBlock: REDACTED,
        refreshToken: REDACTED,
        masterKey: REDACTED,
        count: 3,
        ok: true,
        nothing: null,
      });
    });

    it('does not change the object it was given', () => {
      const input = { password: 'p', nested: { token: 't' } };
      scrubLogValue(input);
      expect(input).toEqual({ password: 'p', nested: { token: 't' } });
    });

    it('stops at a fixed depth instead of walking a huge or cyclic structure', () => {
      const cyclic: Record<string, unknown> = { name: 'loop' };
      cyclic.self = cyclic;

      const scrubbed = JSON.stringify(scrubLogValue(cyclic));
      expect(scrubbed).toContain('[Truncated]');
    });

    it('knows which keys are sensitive', () => {
      for (const key of ['authorization', 'cookie', 'x-api-key', 'apiKey', 'cvv', 'cpf', 'totp']) {
        expect(isSensitiveKey(key), key).toBe(true);
      }
      for (const key of ['requestId', 'msg', 'level', 'name', 'quantity', 'status']) {
        expect(isSensitiveKey(key), key).toBe(false);
      }
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
