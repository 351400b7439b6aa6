import { createServer, type Server } from 'node:http';

import { closeContext, createContext, type ContextOptions } from './app/bootstrap.js';
import type { AppContext } from './app/context.js';
import { recordServerLifecycle } from './audit/lifecycle.js';
import type { AppConfig } from './config/config.js';
import { buildApp, type App } from './http/app.js';
import { startMetricsListener } from './infra/metrics/listener.js';
import { tlsOptions } from './infra/tls.js';

export interface RunningServer {
  app: App;
  context: AppContext;
  /** The origin the API answers on, e.g. `https://127.0.0.1:8001`. */
  origin: string;
  redirectServer: Server | null;
  /** The loopback-only metrics listener, when CHEFIA_METRICS_PORT is set. */
  metricsServer: Server | null;
  close(): Promise<void>;
}

/** Starts the API: migrates, loads keys, listens over HTTPS (and the optional redirect port). */
export async function startServer(
  config: AppConfig,
  options: ContextOptions = {},
): Promise<RunningServer> {
  const context = await createContext(config, options);
  try {
    const tls = config.http.tls.enabled ? await tlsOptions(config, context.logger) : undefined;
    const app = await buildApp(context, tls ? { https: tls } : {});
    await app.listen({ host: config.http.host, port: config.http.port });

    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.http.port;
    const scheme = tls ? 'https' : 'http';
    const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
    const origin = `${scheme}://${host}:${port}`;
    const redirectServer = config.http.redirectPort
      ? await startRedirect(config, config.http.publicOrigin ?? origin)
      : null;
    const metricsServer = config.metrics.port
      ? await startMetricsListener(context.metrics, config.metrics.port)
      : null;

    await recordServerLifecycle(context, 'start');
    context.logger.info({ origin }, 'chefia pos listening');
    return {
      app,
      context,
      origin,
      redirectServer,
      metricsServer,
      async close() {
        redirectServer?.close();
        metricsServer?.close();
        await app.close();
        await recordServerLifecycle(context, 'stop');
        await closeContext(context);
      },
    };
  } catch (error) {
    await closeContext(context);
    throw error;
  }
}

/**
 * The plain-HTTP listener only redirects to HTTPS; it never serves the API, so no credential can
 * be sent in the clear and then answered.
 */
async function startRedirect(config: AppConfig, target: string): Promise<Server> {
  const origin = new URL(target).origin;
  const server = createServer((request, response) => {
    // The path is appended to the origin, never resolved against it: resolving would let a
    // request for `//evil.example/` redirect off-site.
    const path = request.url?.startsWith('/') ? request.url : '/';
    response.writeHead(308, { location: `${origin}${path}`, 'content-length': '0' });
    response.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.http.redirectPort, config.http.host, () => resolve());
  });
  return server;
}
