import type { FastifyRequest } from 'fastify';

import type { AppContext } from '../../app/context.js';
import { AppError } from '../../core/errors.js';
import type { App } from '../../http/app.js';
import { principalOf, sourceOf, type Principal } from '../../security/authz/principal.js';
import { closeKitchenEventBus, kitchenEventBus } from './event-bus.js';
import { KitchenRepository } from './repository.js';
import {
  ListTicketsQuery,
  MoveTicketBody,
  TicketPage,
  TicketParams,
  TicketView,
} from './schemas.js';
import { assertKitchenViewer, listTickets, moveTicket } from './service.js';
import { KitchenStream } from './stream.js';

/** Open streams one user may hold in this process; a runaway client cannot exhaust sockets. */
const MAX_STREAMS_PER_USER = 5;
/** How long a browser's EventSource waits before reconnecting. */
const RETRY_MS = 3_000;

/** The kitchen display: tickets, their moves, and the live stream of both. */
export async function kitchenRoutes(app: App, context: AppContext): Promise<void> {
  const bus = kitchenEventBus(context);
  const streams = new Set<KitchenStream>();
  const streamsPerUser = new Map<string, number>();

  // Open streams would hold the server open forever: end them before it closes.
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.close();
  });
  app.addHook('onClose', async () => closeKitchenEventBus(context));

  app.get(
    '/api/v1/kds/tickets',
    {
      config: { access: { permission: 'order.read' } },
      schema: { querystring: ListTicketsQuery, response: { 200: TicketPage } },
    },
    async (request) => {
      const { limit = 50, cursor, status } = request.query;
      return listTickets(context, principalOf(request), {
        limit,
        ...(cursor ? { cursor } : {}),
        ...(status ? { status } : {}),
      });
    },
  );

  app.patch(
    '/api/v1/kds/tickets/:id',
    {
      config: { access: { permission: 'order.update' } },
      schema: { params: TicketParams, body: MoveTicketBody, response: { 200: TicketView } },
    },
    async (request) =>
      moveTicket(
        context,
        bus,
        principalOf(request),
        request.params.id,
        request.body.status,
        sourceOf(request),
      ),
  );

  app.get(
    '/api/v1/kds/stream',
    { config: { access: { permission: 'order.read' } } },
    async (request, reply) => {
      const principal = principalOf(request);
      assertKitchenViewer(principal);
      const kitchen = new KitchenRepository(context.database.kysely, principal.restaurantId);
      const lastSeq = lastEventIdOf(request) ?? (await kitchen.lastEventSeq());
      const open = streamsPerUser.get(principal.id) ?? 0;
      if (open >= MAX_STREAMS_PER_USER) throw new AppError('POS_ERR_RATE_LIMITED');

      // From here on the response is written by hand: Fastify's serializer and onSend hooks
      // would buffer it. Headers set so far (request id, CORS, security) are kept.
      reply.hijack();
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) reply.raw.setHeader(name, value);
      }
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      reply.raw.write(`retry: ${RETRY_MS}\n\n`);

      const stream = new KitchenStream({
        response: reply.raw,
        kitchen,
        bus,
        restaurantId: principal.restaurantId,
        lastSeq,
        stillAuthorized: () => stillAuthorized(context, request, principal),
        onError: (error) => request.log.error({ err: error }, 'kitchen stream failed'),
      });
      streams.add(stream);
      streamsPerUser.set(principal.id, open + 1);
      reply.raw.on('close', () => {
        streams.delete(stream);
        const remaining = (streamsPerUser.get(principal.id) ?? 1) - 1;
        if (remaining > 0) streamsPerUser.set(principal.id, remaining);
        else streamsPerUser.delete(principal.id);
      });
      await stream.start();
    },
  );
}

/** The display's `Last-Event-ID`: a decimal event number, or absent. */
function lastEventIdOf(request: FastifyRequest): number | null {
  const header = request.headers['last-event-id'];
  if (header === undefined || header === '') return null;
  if (typeof header !== 'string' || !/^\d{1,15}$/.test(header)) {
    throw new AppError('POS_ERR_VALIDATION', {
      fields: [{ path: 'headers/last-event-id', message: 'must be an event id' }],
    });
  }
  return Number(header);
}

/** A stream lives no longer than the access token that opened it, nor past its revocation. */
function stillAuthorized(
  context: AppContext,
  request: FastifyRequest,
  principal: Principal,
): boolean {
  const claims = request.accessClaims;
  if (!claims) return true;
  const { revocations } = context.auth;
  if (revocations.isRevoked('token', claims.jti)) return false;
  if (principal.sessionId && revocations.isRevoked('session', principal.sessionId)) return false;
  return context.clock.now().getTime() < claims.exp * 1000;
}
