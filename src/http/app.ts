import type { ServerOptions as HttpsServerOptions } from 'node:https';

import type { IncomingMessage, ServerResponse } from 'node:http';

import cookie from '@fastify/cookie';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  type RawServerDefault,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';

import type { AppContext } from '../app/context.js';
import { installMetrics } from '../infra/metrics/http.js';
import { registerModules } from '../modules/index.js';
import { installAuthentication } from '../security/authn/authenticate.js';
import { installCardDataGuard } from '../security/cards/card-data-guard.js';
import { installProtection, type ProtectionOptions } from '../security/protection/install.js';
import { installDocs } from './docs.js';
import { installErrorHandler } from './error-handler.js';
import { installNotFoundHandler } from './not-found.js';
import { requestIdFor } from './request-id.js';
import { installRequestLog } from './request-log.js';
import { enforceRouteDeclarations } from './route-declarations.js';
import { installSecurityHeaders } from './security-headers.js';
import { installValidators } from './validation.js';

/** The application instance, with TypeBox schemas typing each route's request. */
export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface BuildAppOptions {
  /** TLS options for the HTTPS listener; omitted for plain HTTP on loopback and in tests. */
  https?: HttpsServerOptions;
  /** Rate limiting and intrusion detection are on unless a benchmark turns them off. */
  protection?: ProtectionOptions;
}

/**
 * Builds the HTTP application: security headers, request ids, error shape, route declarations
 * and every feature module. Listening is the caller's business (see `server.ts`).
 */
export async function buildApp(context: AppContext, options: BuildAppOptions = {}): Promise<App> {
  const { config } = context;
  const serverOptions: FastifyServerOptions & { https?: HttpsServerOptions } = {
    loggerInstance: context.logger,
    // One allow-listed line per request is written by `installRequestLog` instead.
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
  const app: App = Fastify(serverOptions).withTypeProvider<TypeBoxTypeProvider>();

  installValidators(app);
  await installSecurityHeaders(app, config.http.corsOrigins);
  installErrorHandler(app);
  installNotFoundHandler(app);
  enforceRouteDeclarations(app);
  await app.register(cookie);
  await installProtection(app, context, options.protection);
  installAuthentication(app, context);
  installCardDataGuard(app, context);
  installMetrics(app, context.metrics);
  installRequestLog(app, context.logger);

  if (config.docs.enabled) await installDocs(app);
  await registerModules(app, context);
  return app;
}
