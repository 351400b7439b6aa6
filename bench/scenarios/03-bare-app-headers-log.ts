import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import pino from 'pino';

import { requestIdFor } from '../../src/http/request-id.js';
import { installRequestLog } from '../../src/http/request-log.js';
import { installSecurityHeaders } from '../../src/http/security-headers.js';
import { createLogger } from '../../src/infra/logging/logger.js';
import { BENCH_HOST, type BenchTarget } from '../scenario.js';

export const name = 'bare-app-headers-log';
export const description =
  "bare Fastify answering a 2-item order's JSON, already serialized, with the app's security " +
  'headers, request id and log line and nothing else: the ceiling for GET /orders/:id';
export const compareTo = 'bare-hello';

/** The size and shape of `GET /api/v1/orders/:id` for the order the order scenarios create. */
const ORDER_BODY = JSON.stringify({
  id: '96937b85-badf-46c3-ae42-e8c4c9a2d3ff',
  number: 1,
  businessDate: '2026-12-04',
  type: 'dine_in',
  tableLabel: 'Mesa 7',
  customerId: null,
  status: 'open',
  subtotalCents: 3890,
  discountCents: 0,
  serviceFeeCents: 389,
  totalCents: 4279,
  paidCents: 0,
  notes: null,
  cancelReason: null,
  createdAt: '2026-12-04T09:20:39.848Z',
  updatedAt: '2026-12-04T09:20:39.848Z',
  closedAt: null,
  items: [
    {
      id: '3c928169-17f3-48d6-99aa-26d4ce0d0b4c',
      productId: 'ffb7c431-decd-4f2d-8007-5b8ff58184cb',
      productName: 'X-Burguer',
      unitPriceCents: 2590,
      quantity: 1,
      lineTotalCents: 2590,
      notes: 'sem cebola',
      status: 'pending',
      sentAt: null,
      voidedAt: null,
    },
    {
      id: '0b1f2f7e-5d61-4a55-9a55-4d0cbe6b7a10',
      productId: '5a8e4c1d-2b7f-4e7a-8c3d-9f1e2d3c4b5a',
      productName: 'Guaraná',
      unitPriceCents: 650,
      quantity: 2,
      lineTotalCents: 1300,
      notes: null,
      status: 'pending',
      sentAt: null,
      voidedAt: null,
    },
  ],
});

export async function setup(): Promise<BenchTarget> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-bench-'));
  const destination = pino.destination({ dest: path.join(dataDir, 'server.log'), sync: false });
  const logger = createLogger('info', destination);
  const loggerInstance: FastifyBaseLogger = logger;
  const app = Fastify({
    loggerInstance,
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'requestId',
    }),
    genReqId: requestIdFor,
  });
  await installSecurityHeaders(app, []);
  installRequestLog(app, logger);
  app.get('/', async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(ORDER_BODY),
  );
  const origin = await app.listen({ host: BENCH_HOST, port: 0 });

  return {
    url: `${origin}/`,
    async close() {
      await app.close();
      destination.flushSync();
      destination.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
