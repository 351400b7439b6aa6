import type { AppContext } from '../../app/context.js';
import type { App } from '../../http/app.js';
import { principalOf, sourceOf } from '../../security/authz/principal.js';
import {
  BlockIpBody,
  BlockedIpPage,
  BlockedIpParams,
  BlockedIpView,
  ListBlockedIpsQuery,
} from './schemas.js';
import { blockIp, listBlockedIps, unblockIp } from './service.js';

/**
 * Blocking an address is a containment action (SPEC 5.9), so it takes `incident.manage` rather
 * than `system.config`: the same people who run incidents block the sources behind them.
 */
const manage = { access: { permission: 'incident.manage' as const } };

/** Blocked client addresses: list, add with an expiry, lift. */
export async function securityRoutes(app: App, context: AppContext): Promise<void> {
  app.get(
    '/api/v1/security/blocked-ips',
    {
      config: manage,
      schema: { querystring: ListBlockedIpsQuery, response: { 200: BlockedIpPage } },
    },
    async (request) => {
      const { limit = 50, cursor } = request.query;
      return listBlockedIps(context, principalOf(request).restaurantId, {
        limit,
        ...(cursor ? { cursor } : {}),
      });
    },
  );

  app.post(
    '/api/v1/security/blocked-ips',
    { config: manage, schema: { body: BlockIpBody, response: { 201: BlockedIpView } } },
    async (request, reply) => {
      const block = await blockIp(
        context,
        app.protection,
        principalOf(request),
        request.body,
        sourceOf(request),
      );
      return reply.code(201).send(block);
    },
  );

  app.delete(
    '/api/v1/security/blocked-ips/:id',
    { config: manage, schema: { params: BlockedIpParams } },
    async (request, reply) => {
      await unblockIp(
        context,
        app.protection,
        principalOf(request),
        request.params.id,
        sourceOf(request),
      );
      return reply.code(204).send();
    },
  );
}
