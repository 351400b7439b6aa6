import type { AppContext } from '../../app/context.js';
import type { App } from '../../http/app.js';
import { principalOf, sourceOf } from '../../security/authz/principal.js';
import {
  CloseSessionBody,
  DepositBody,
  MovementView,
  OpenSessionBody,
  SessionParams,
  SessionView,
  WithdrawalBody,
} from './schemas.js';
import {
  closeSession,
  getSession,
  openSession,
  recordDeposit,
  recordWithdrawal,
} from './service.js';

const operate = { access: { permission: 'cashier.operate' as const } };

/** The cash drawer: open, move cash in and out, close with the counted amount. */
export async function cashierRoutes(app: App, context: AppContext): Promise<void> {
  app.post(
    '/api/v1/cashier/sessions',
    { config: operate, schema: { body: OpenSessionBody, response: { 201: SessionView } } },
    async (request, reply) => {
      const session = await openSession(
        context,
        principalOf(request),
        request.body,
        sourceOf(request),
      );

      return reply.code(201).send(session);
    },
  );

  app.get(
    '/api/v1/cashier/sessions/:id',
    { config: operate, schema: { params: SessionParams, response: { 200: SessionView } } },
    async (request) => getSession(context, principalOf(request), request.params.id),
  );

  app.post(
    '/api/v1/cashier/sessions/:id/withdrawals',
    {
      config: operate,
      schema: { params: SessionParams, body: WithdrawalBody, response: { 201: MovementView } },
    },
    async (request, reply) => {
      const movement = await recordWithdrawal(
        context,
        principalOf(request),
        request.params.id,
        request.body,
        sourceOf(request),
      );

      return reply.code(201).send(movement);
    },
  );

  app.post(
    '/api/v1/cashier/sessions/:id/deposits',
    {
      config: operate,
      schema: { params: SessionParams, body: DepositBody, response: { 201: MovementView } },
    },
    async (request, reply) => {
      const movement = await recordDeposit(
        context,
        principalOf(request),
        request.params.id,
        request.body,
        sourceOf(request),
      );

      return reply.code(201).send(movement);
    },
  );

  app.post(
    '/api/v1/cashier/sessions/:id/close',
    {
      config: operate,
      schema: { params: SessionParams, body: CloseSessionBody, response: { 200: SessionView } },
    },
    async (request) =>
      closeSession(
        context,
        principalOf(request),
        request.params.id,
        request.body,
        sourceOf(request),
      ),
  );
}
