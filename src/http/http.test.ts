import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../test/helpers/app.js';
import { helmetHeaders } from './security-headers.js';

const Echo = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 20 }),
    quantity: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

describe('http core', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({
      routes: (app) => {
        app.post(
          '/api/v1/test/echo',
          { config: { access: { public: true } }, schema: { body: Echo } },
          async (request) => request.body,
        );
        app.get('/api/v1/test/boom', { config: { access: { public: true } } }, async () => {
          throw new Error('connection to db-internal-7 failed: password=hunter2');
        });
      },
    });
  });
  afterAll(() => t.close());

  describe('security headers', () => {
    it('sends HSTS, nosniff, CSP, frame protection, no-store and a request id', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/health/live' });

      expect(response.statusCode).toBe(200);
      expect(response.headers['strict-transport-security']).toBe(
        'max-age=31536000; includeSubDomains',
      );
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("sends every header helmet's policy sets, with helmet's values", async () => {
      const response = await t.app.inject({ method: 'GET', url: '/health/live' });
      const fixed = helmetHeaders();

      expect(Object.keys(fixed).length).toBeGreaterThanOrEqual(12);
      expect(fixed['content-security-policy']).toContain("object-src 'none'");
      for (const [name, value] of Object.entries(fixed)) {
        expect(response.headers[name], name).toBe(value);
      }
    });

    it('sends the same headers on errors', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/nowhere' });

      expect(response.statusCode).toBe(404);
      for (const [name, value] of Object.entries(helmetHeaders())) {
        expect(response.headers[name], name).toBe(value);
      }
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('request id', () => {
    it('keeps a well-formed incoming X-Request-ID', async () => {
      const response = await t.app.inject({
        method: 'GET',
        url: '/health/live',
        headers: { 'x-request-id': 'pos-terminal-3:000123' },
      });
      expect(response.headers['x-request-id']).toBe('pos-terminal-3:000123');
    });

    it('replaces a malformed or hostile one', async () => {
      for (const hostile of [
        'short',
        '<script>alert(1)</script>',
        'a'.repeat(200),
        'x y z 1 2 3',
        // Well formed, but a card number, a CPF or a token: never logged, audited or echoed.
        '4111111111111111',
        '4111-1111-1111-1111',
        '529.982.247-25',
        'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
      ]) {
        const response = await t.app.inject({
          method: 'GET',
          url: '/health/live',
          headers: { 'x-request-id': hostile },
        });
        expect(response.headers['x-request-id']).not.toBe(hostile);
        expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });

  describe('error shape', () => {
    it('answers an unknown route with 404 in the error shape', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/unknown' });

      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({
        statusCode: 404,
        code: 'POS_ERR_NOT_FOUND',
        error: 'Not Found',
        message: 'The resource was not found.',
      });
    });

    it('answers a known path with the wrong method with 405 and Allow', async () => {
      const response = await t.app.inject({ method: 'DELETE', url: '/health/live' });

      expect(response.statusCode).toBe(405);
      expect(response.json().code).toBe('POS_ERR_METHOD_NOT_ALLOWED');
      expect(response.headers.allow).toContain('GET');
    });

    it('answers malformed JSON with 400 without echoing the body', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/test/echo',
        headers: { 'content-type': 'application/json' },
        payload: '{"name": "secret-value-123", ',
      });

      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('POS_ERR_MALFORMED_BODY');
      expect(response.body).not.toContain('secret-value-123');
    });

    it('rejects unknown properties and names every broken field', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/test/echo',
        payload: { name: '', quantity: '2', role: 'admin' },
      });

      expect(response.statusCode).toBe(400);
      const body = response.json();
      expect(body.code).toBe('POS_ERR_VALIDATION');
      const paths = body.fields.map((f: { path: string }) => f.path);
      expect(paths).toEqual(expect.arrayContaining(['body/name', 'body/quantity', 'body/role']));
    });

    it('accepts a valid body exactly as sent', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/test/echo',
        payload: { name: "O'Brien", quantity: 2 },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ name: "O'Brien", quantity: 2 });
    });

    it('answers an oversized body with 413', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/test/echo',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), quantity: 1 }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json().code).toBe('POS_ERR_PAYLOAD_TOO_LARGE');
    });

    it('answers an unsupported content type with 415', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/test/echo',
        headers: { 'content-type': 'application/xml' },
        payload: '<name>x</name>',
      });
      expect(response.statusCode).toBe(415);
      expect(response.json().code).toBe('POS_ERR_UNSUPPORTED_MEDIA_TYPE');
    });

    it('masks a 5xx and carries the request id instead of internals', async () => {
      const response = await t.app.inject({
        method: 'GET',
        url: '/api/v1/test/boom',
        headers: { 'x-request-id': 'trace-abcdef-0001' },
      });

      expect(response.statusCode).toBe(500);
      const body = response.json();
      expect(body.code).toBe('POS_ERR_INTERNAL');
      expect(body.requestId).toBe('trace-abcdef-0001');
      expect(body.message).toContain('trace-abcdef-0001');
      expect(response.body).not.toMatch(/db-internal|hunter2|stack|Error:/);
    });
  });

  describe('CORS', () => {
    it('allows a configured origin with credentials', async () => {
      const response = await t.app.inject({
        method: 'OPTIONS',
        url: '/health/live',
        headers: { origin: 'https://pos.chefia.com.br', 'access-control-request-method': 'GET' },
      });
      expect(response.headers['access-control-allow-origin']).toBe('https://pos.chefia.com.br');
      expect(response.headers['access-control-allow-credentials']).toBe('true');
    });

    it('gives no CORS grant to another origin', async () => {
      const response = await t.app.inject({
        method: 'GET',
        url: '/health/live',
        headers: { origin: 'https://evil.example' },
      });
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('route declarations', () => {
    it('refuses to start with a route that declares no access rule', async () => {
      await expect(
        buildTestApp({
          routes: (app) => {
            app.get('/api/v1/test/undeclared', async () => 'open');
          },
        }),
      ).rejects.toThrow(/declares no access rule/);
    });

    it('refuses a body schema that accepts unknown properties', async () => {
      await expect(
        buildTestApp({
          routes: (app) => {
            app.post(
              '/api/v1/test/open-body',
              {
                config: { access: { public: true } },
                schema: { body: Type.Object({ name: Type.String() }) },
              },
              async () => 'ok',
            );
          },
        }),
      ).rejects.toThrow(/accepts unknown properties/);
    });
  });
});
