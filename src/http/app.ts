import type { ServerOptions as HttpsServerOptions } from 'node:https';

import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';

import type { AppContext } from '../app/context.js';
import { registerModules } from '../modules/index.js';
import { installDocs } from './docs.js';
import { installErrorHandler } from './error-handler.js';
import { installNotFoundHandler } from './not-found.js';
import { installRequestId, requestIdFor } from './request-id.js';
import { enforceRouteDeclarations } from './route-declarations.js';
import { installSecurityHeaders } from './security-headers.js';
import { installValidators } from './validation.js';

export type App = FastifyInstance;

export interface BuildAppOptions {
  /** TLS options for the HTTPS listener; omitted for plain HTTP on loopback and in tests. */
  https?: HttpsServerOptions;
}

/**
 * Builds the HTTP application: security headers, request ids, error shape, route declarations
 * and every feature module. Listening is the caller's business (see `server.ts`).
 */
export async function buildApp(context: AppContext, options: BuildAppOptions = {}): Promise<App> {
  const { config } = context;
  const serverOptions: FastifyServerOptions & { https?: HttpsServerOptions } = {
    loggerInstance: context.logger,
    // One allow-listed line per request is written by the onResponse hook below instead.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'requestId',
    }),
    genReqId: requestIdFor,
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustedProxies.length > 0 ? config.http.trustedProxies : false,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    ...(options.https ? { https: options.https } : {}),
  };
  const app = Fastify(serverOptions).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  installValidators(app);
  installRequestId(app);
  installErrorHandler(app);
  installNotFoundHandler(app);
  enforceRouteDeclarations(app);
  await installSecurityHeaders(app, config.http.corsOrigins);
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { req: request, res: reply, responseTimeMs: Math.round(reply.elapsedTime) },
      'request completed',
    );
  });

  if (config.docs.enabled) await installDocs(app);
  await registerModules(app, context);
  return app;
}
