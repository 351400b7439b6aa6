import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../test/helpers/app.js';

interface OpenApiSchema {
  type?: string;
  additionalProperties?: unknown;
}

interface OpenApiOperation {
  requestBody?: { content?: Record<string, { schema?: OpenApiSchema }> };
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** The JSON body schema of one operation in the document; fails the test when it has none. */
function jsonBodySchema(document: OpenApiDocument, path: string, method: string): OpenApiSchema {
  const schema = document.paths[path]?.[method]?.requestBody?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`expected a JSON request body on ${method.toUpperCase()} ${path}`);
  return schema;
}

const NOT_FOUND = {
  statusCode: 404,
  code: 'POS_ERR_NOT_FOUND',
  error: 'Not Found',
  message: 'The resource was not found.',
};

describe('API docs', () => {
  describe('the OpenAPI document', () => {
    let t: TestApp;
    let document: OpenApiDocument;

    beforeAll(async () => {
      t = await buildTestApp();
      const response = await t.app.inject({ method: 'GET', url: '/docs/json' });
      expect(response.statusCode).toBe(200);
      document = response.json<OpenApiDocument>();
    });
    afterAll(() => t.close());

    it('is OpenAPI 3', () => {
      expect(document.openapi).toMatch(/^3\.\d+\.\d+$/);
    });

    it('describes login, order creation and payment with closed request bodies', () => {
      for (const path of ['/api/v1/auth/login', '/api/v1/orders', '/api/v1/orders/{id}/payments']) {
        const schema = jsonBodySchema(document, path, 'post');

        expect(schema.type, path).toBe('object');
        expect(schema.additionalProperties, path).toBe(false);
      }
    });

    it('rejects additional properties in every JSON object request body it describes', () => {
      const checked: string[] = [];
      const open: string[] = [];
      for (const [path, operations] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          const schema = operation.requestBody?.content?.['application/json']?.schema;
          if (schema?.type !== 'object') continue;
          checked.push(`${method.toUpperCase()} ${path}`);
          if (schema.additionalProperties !== false) open.push(`${method.toUpperCase()} ${path}`);
        }
      }

      expect(checked.length).toBeGreaterThan(20);
      expect(open).toEqual([]);
    });

    it('serves the browsable UI at /docs', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/docs' });

      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/html');
    });
  });

  describe('in production', () => {
    const production = { NODE_ENV: 'production' };

    it('answers /docs and /docs/json with 404 in the error shape when not enabled', async () => {
      const t = await buildTestApp({ env: production });
      try {
        expect(t.context.config.mode).toBe('production');
        for (const url of ['/docs', '/docs/json', '/docs/yaml', '/docs/static/index.html']) {
          const response = await t.app.inject({ method: 'GET', url });

          expect(response.statusCode, url).toBe(404);
          expect(response.json(), url).toEqual(NOT_FOUND);
        }
      } finally {
        await t.close();
      }
    });

    it('serves them with CHEFIA_DOCS_ENABLED and CHEFIA_ALLOW_DIAGNOSTICS', async () => {
      const t = await buildTestApp({
        env: { ...production, CHEFIA_DOCS_ENABLED: 'true', CHEFIA_ALLOW_DIAGNOSTICS: 'true' },
      });
      try {
        const ui = await t.app.inject({ method: 'GET', url: '/docs' });
        const json = await t.app.inject({ method: 'GET', url: '/docs/json' });

        expect(ui.statusCode).toBe(200);
        expect(json.statusCode).toBe(200);
        expect(json.json<OpenApiDocument>().paths['/api/v1/auth/login']).toBeDefined();
      } finally {
        await t.close();
      }
    });
  });
});
