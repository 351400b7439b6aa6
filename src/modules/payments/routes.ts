import type { FastifyReply, FastifyRequest } from 'fastify';

import type { AppContext } from '../../app/context.js';
import type { App } from '../../http/app.js';
import { principalOf, sourceOf, type Principal } from '../../security/authz/principal.js';
import { createPayment } from './capture.js';
import {
  IDEMPOTENCY_HEADER,
  IdempotencyHeaders,
  REPLAY_HEADER,
  runIdempotent,
  type IdempotentRequest,
  type StoredResponse,
} from './idempotency.js';
import { cancelPixPayment, confirmPixPayment } from './pix/settle.js';
import { pixWebhookRoutes } from './pix/webhook-routes.js';
import { getPayment, listPayments } from './queries.js';
import { recordRefusedRefund, refundPayment } from './refunds.js';
import {
  ListPaymentsQuery,
  OrderParams,
  PaymentBody,
  PaymentList,
  PaymentParams,
  PaymentResult,
  PaymentView,
  RefundBody,
  RefundView,
} from './schemas.js';

/** Every route that moves money spends the payment rate class (SPEC 5.4). */
const processing = {
  access: { permission: 'payment.process' as const },
  rateClass: 'payment' as const,
};
const view = { access: { permission: 'payment.view' as const } };

/** Payments of orders, refunds, PIX confirmation and the PIX provider's webhook. */
export async function paymentRoutes(app: App, context: AppContext): Promise<void> {
  app.post(
    '/api/v1/orders/:id/payments',
    {
      config: processing,
      schema: {
        params: OrderParams,
        headers: IdempotencyHeaders,
        body: PaymentBody,
        response: { 201: PaymentResult },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const source = sourceOf(request);

      const stored = await runIdempotent(
        context,
        idempotentRequest(request, principal),
        async (tx) => ({
          statusCode: 201,
          body: await createPayment(
            context,
            tx,
            principal,
            request.params.id,
            request.body,
            source,
          ),
        }),
      );

      return sendStored(reply, stored);
    },
  );

  app.post(
    '/api/v1/payments/:id/refunds',
    {
      // Refunding also needs `payment.refund` or a manager approval, checked by the service.
      config: processing,
      schema: {
        params: PaymentParams,
        headers: IdempotencyHeaders,
        body: RefundBody,
        response: { 201: RefundView },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const source = sourceOf(request);
      const { id } = request.params;

      const stored = await runIdempotent(
        context,
        idempotentRequest(request, principal),
        async (tx) => ({
          statusCode: 201,
          body: await refundPayment(context, tx, principal, id, request.body, source),
        }),
        {
          onRejected: (tx, error) =>
            recordRefusedRefund(context, tx, principal, id, request.body, error, source),
        },
      );

      return sendStored(reply, stored);
    },
  );

  app.post(
    '/api/v1/payments/:id/confirm',
    { config: processing, schema: { params: PaymentParams, response: { 200: PaymentResult } } },
    async (request) =>
      confirmPixPayment(context, principalOf(request), request.params.id, sourceOf(request)),
  );

  app.post(
    '/api/v1/payments/:id/cancel',
    { config: processing, schema: { params: PaymentParams, response: { 200: PaymentResult } } },
    async (request) =>
      cancelPixPayment(context, principalOf(request), request.params.id, sourceOf(request)),
  );

  app.get(
    '/api/v1/payments',
    { config: view, schema: { querystring: ListPaymentsQuery, response: { 200: PaymentList } } },
    async (request) =>
      listPayments(context, principalOf(request), request.query, sourceOf(request)),
  );

  app.get(
    '/api/v1/payments/:id',
    { config: view, schema: { params: PaymentParams, response: { 200: PaymentView } } },
    async (request) =>
      getPayment(context, principalOf(request), request.params.id, sourceOf(request)),
  );

  await pixWebhookRoutes(app, context);
}

function idempotentRequest(request: FastifyRequest, principal: Principal): IdempotentRequest {
  return {
    restaurantId: principal.restaurantId,
    key: request.headers[IDEMPOTENCY_HEADER],
    method: request.method,
    path: request.url.split('?')[0] ?? request.url,
    body: request.body,
  };
}

/** Sends the operation's response, or the one stored for the key, marking a replay. */
function sendStored(reply: FastifyReply, stored: StoredResponse<unknown>): FastifyReply {
  if (stored.replayed) void reply.header(REPLAY_HEADER, 'true');
  return reply.code(stored.statusCode).send(stored.body);
}
