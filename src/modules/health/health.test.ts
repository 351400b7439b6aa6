import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { redisAvailable, testDialects } from '../../../test/helpers/database.js';
import { freeLoopbackPort } from '../../../test/helpers/ports.js';
import { redisReady } from '../../../test/helpers/wait.js';

/** Text a readiness answer must never carry: connection details or driver error messages. */
const INTERNALS = /127\.0\.0\.1|localhost|postgres|redis:\/\/|chefia_test|destroyed|ECONN|Error/i;

describe('health', () => {
  describe('liveness', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await buildTestApp();
    });
    afterAll(() => t.close());

    it('answers 200 without a check of its dependencies', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/health/live' });

      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ok' });
    });
  });

  describe.each(testDialects())('readiness (%s)', (dialect) => {
    it('answers 200 reporting the database', async () => {
      const t = await buildTestApp({ dialect });
      try {
        const response = await t.app.inject({ method: 'GET', url: '/health/ready' });

        expect(response.statusCode).toBe(200);
        expect(response.json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
      } finally {
        await t.close();
      }
    });

    it('answers 503 naming only the failed check once the database is closed', async () => {
      const t = await buildTestApp({ dialect });
      try {
        await t.context.database.close();

        const response = await t.app.inject({ method: 'GET', url: '/health/ready' });

        expect(response.statusCode).toBe(503);
        expect(response.json()).toEqual({ status: 'unavailable', checks: { database: 'failed' } });
        expect(response.body).not.toMatch(INTERNALS);
      } finally {
        await t.close();
      }
    });

    it.runIf(redisAvailable())('answers 200 reporting Redis when it is configured', async () => {
      const t = await buildTestApp({ dialect, redis: true });
      try {
        await redisReady(t);

        const response = await t.app.inject({ method: 'GET', url: '/health/ready' });

        expect(response.statusCode).toBe(200);
        expect(response.json()).toEqual({
          status: 'ok',
          checks: { database: 'ok', redis: 'ok' },
        });
      } finally {
        await t.close();
      }
    });

    it('answers 503 when the configured Redis cannot be reached', async () => {
      const redisUrl = `redis://127.0.0.1:${await freeLoopbackPort()}`;
      const t = await buildTestApp({ dialect, env: { REDIS_URL: redisUrl } });
      try {
        const response = await t.app.inject({ method: 'GET', url: '/health/ready' });

        expect(response.statusCode).toBe(503);
        expect(response.json()).toEqual({
          status: 'unavailable',
          checks: { database: 'ok', redis: 'failed' },
        });
        expect(response.body).not.toMatch(INTERNALS);
      } finally {
        await t.close();
      }
    });
  });
});
