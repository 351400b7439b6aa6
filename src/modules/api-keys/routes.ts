import type { AppContext } from '../../app/context.js';
import type { App } from '../../http/app.js';
import { principalOf, sourceOf } from '../../security/authz/principal.js';
import { apiKeyAuthenticator } from './authenticator.js';
import {
  ApiKeyPage,
  ApiKeyParams,
  ApiKeyView,
  CreateApiKeyBody,
  CreatedApiKey,
  ListApiKeysQuery,
} from './schemas.js';
import { createApiKey, listApiKeys, revokeApiKey } from './service.js';
import { ApiKeyUsage, type UsageOptions } from './usage.js';

const manage = { access: { permission: 'apikey.manage' as const } };

declare module 'fastify' {
  interface FastifyInstance {
    /** Batched last-used times and use records of API keys (tests flush it). */
    apiKeyUsage: ApiKeyUsage;
  }
}

/**
 * API keys: the `X-API-Key` authenticator, the per-request usage trail, and their management
 * (`apikey.manage`).
 */
export async function apiKeyRoutes(
  app: App,
  context: AppContext,
  usageOptions: UsageOptions = {},
): Promise<void> {
  installApiKeyAuthentication(app, context, usageOptions);
  const usage = app.apiKeyUsage;

  app.get(
    '/api/v1/api-keys',
    { config: manage, schema: { querystring: ListApiKeysQuery, response: { 200: ApiKeyPage } } },
    async (request) => {
      const { limit = 50, cursor } = request.query;
      return listApiKeys(context, usage, principalOf(request).restaurantId, {
        limit,
        ...(cursor ? { cursor } : {}),
      });
    },
  );

  app.post(
    '/api/v1/api-keys',
    { config: manage, schema: { body: CreateApiKeyBody, response: { 201: CreatedApiKey } } },
    async (request, reply) => {
      const created = await createApiKey(
        context,
        usage,
        principalOf(request),
        request.body,
        sourceOf(request),
      );
      return reply.code(201).send(created);
    },
  );

  app.delete(
    '/api/v1/api-keys/:id',
    { config: manage, schema: { params: ApiKeyParams, response: { 200: ApiKeyView } } },
    async (request) =>
      revokeApiKey(context, usage, principalOf(request), request.params.id, sourceOf(request)),
  );
}

/**
 * Puts the API-key authenticator first in the chain (a request carrying `X-API-Key` is judged by
 * its key) and records every authenticated use once its response is known. This app's
 * authenticator leaves the chain when the app closes, after the pending usage is written.
 */
function installApiKeyAuthentication(app: App, context: AppContext, options: UsageOptions): void {
  const usage = new ApiKeyUsage(context, options);
  usage.start();
  app.decorate('apiKeyUsage', usage);

  const authenticator = apiKeyAuthenticator(context);
  context.auth.authenticators.unshift(authenticator);

  app.addHook('onResponse', async (request, reply) => {
    const principal = request.principal;
    if (principal?.kind !== 'api_key') return;
    usage.used({
      keyId: principal.id,
      restaurantId: principal.restaurantId,
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      statusCode: reply.statusCode,
      ...sourceOf(request),
    });
  });

  app.addHook('onClose', async () => {
    const index = context.auth.authenticators.indexOf(authenticator);
    if (index !== -1) context.auth.authenticators.splice(index, 1);
    await usage.stop();
  });
}
