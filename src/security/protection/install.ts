import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { AppContext } from '../../app/context.js';
import { AppError } from '../../core/errors.js';
import { AddressPolicy } from '../intrusion/address-policy.js';
import { BlockList } from '../intrusion/block-list.js';
import { scanRequest } from '../intrusion/detector.js';
import { IntrusionResponder } from '../intrusion/responder.js';
import { scannedPartsOf } from '../intrusion/scan-input.js';
import { countIntrusion } from '../intrusion/state.js';
import { cachedThreatClassifier } from '../intrusion/verdict-cache.js';
import { clientAddress } from '../rate-limit/client.js';
import { RateLimiter } from '../rate-limit/limiter.js';
import {
  FallbackWindowCounter,
  MemoryWindowCounter,
  type WindowCounter,
} from '../rate-limit/window-counter.js';

/** Switches for benchmarks that measure what the protection costs; both default to on. */
export interface ProtectionOptions {
  rateLimit?: boolean;
  intrusionDetection?: boolean;
}

/** The protection machinery of one application, for the features that act on it. */
export interface ProtectionServices {
  limiter: RateLimiter;
  blockList: BlockList;
  addressPolicy: AddressPolicy;
  intrusion: IntrusionResponder;
  rateLimitEnabled: boolean;
  intrusionDetectionEnabled: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    protection: ProtectionServices;
  }
  interface FastifyContextConfig {
    /** `false` skips probe detection on a route (a signed webhook whose body is not ours). */
    intrusionScan?: boolean;
  }
}

/**
 * Sign-in routes whose `POS_ERR_UNAUTHENTICATED` is a failed credential check, with where the
 * account name is. Watching their errors here leaves the sign-in code itself untouched.
 */
const CREDENTIAL_ROUTES: ReadonlyMap<string, (request: FastifyRequest) => string> = new Map([
  [
    'POST /api/v1/auth/login',
    (request) => `${field(request, 'restaurant')}/${field(request, 'username')}`,
  ],
  [
    'POST /api/v1/auth/approvals',
    (request) => `${request.principal?.restaurantId ?? ''}/${field(request, 'username')}`,
  ],
]);

/** Routes with nothing to scan. */
const UNSCANNED_PREFIXES = ['/health/', '/docs'];

/**
 * Installs SPEC 5.4's API protection around every route, in this order:
 * 1. `onRequest`, before authentication: blocked addresses answer 403 at once;
 * 2. `preParsing`, after authentication: per-class, per-client rate limits (429);
 * 3. `preValidation`, once the body is parsed: injection, XSS and traversal probes answer 400,
 *    are audited and count towards blocking their source;
 * 4. `onError`: failed sign-ins, and sign-ins the auth rate limit refused, count towards
 *    blocking a source that sweeps many accounts.
 * Call it before `installAuthentication` and before any route is registered.
 */
export async function installProtection(
  app: FastifyInstance,
  context: AppContext,
  options: ProtectionOptions = {},
): Promise<ProtectionServices> {
  const { config, logger } = context;
  const local = new MemoryWindowCounter(context.clock);
  const counter: WindowCounter = context.redis
    ? new FallbackWindowCounter({
        redis: context.redis,
        local,
        logger,
        onFallback: () => context.metrics.rateLimitFallbacks.inc(),
      })
    : local;
  const rateLimitEnabled = options.rateLimit !== false;
  const intrusionDetectionEnabled = options.intrusionDetection !== false;

  const limiter = new RateLimiter(config.protection.rateLimits, counter, rateLimitEnabled);
  const blockList = new BlockList({ ...context });
  await blockList.start();
  const addressPolicy = new AddressPolicy(config.http.trustedProxies);
  const intrusion = new IntrusionResponder(context, blockList, addressPolicy, {
    ...config.protection,
    enabled: intrusionDetectionEnabled,
  });

  const services: ProtectionServices = {
    limiter,
    blockList,
    addressPolicy,
    intrusion,
    rateLimitEnabled,
    intrusionDetectionEnabled,
  };
  app.decorate('protection', services);
  app.addHook('onClose', async () => {
    blockList.stop();
    if (counter instanceof FallbackWindowCounter) counter.stop();
  });

  // Blocked requests are not audited one by one: the block was, and a blocked flood must not
  // turn into a flood of writes.
  app.addHook('onRequest', async (request) => {
    if (blockList.size === 0) return;
    if (!blockList.isBlocked(clientAddress(request))) return;
    countIntrusion('blockedRequests');
    throw new AppError('POS_ERR_IP_BLOCKED');
  });

  await limiter.install(app);
  if (intrusionDetectionEnabled) installIntrusionDetection(app, intrusion);
  return services;
}

function installIntrusionDetection(app: FastifyInstance, intrusion: IntrusionResponder): void {
  const classify = cachedThreatClassifier();
  app.addHook('preValidation', async (request) => {
    if (!isScanned(request)) return;
    const hit = scanRequest(scannedPartsOf(request), classify);
    if (!hit) return;

    countIntrusion('threatsDetected');
    await intrusion.threatDetected(request, hit);
    throw new AppError('POS_ERR_THREAT_DETECTED');
  });

  app.addHook('onError', async (request, _reply, error) => {
    if (!(error instanceof AppError)) return;
    const accountOf = CREDENTIAL_ROUTES.get(`${request.method} ${request.routeOptions.url ?? ''}`);
    if (!accountOf) return;

    try {
      if (error.code === 'POS_ERR_UNAUTHENTICATED') {
        await intrusion.credentialFailed(request, accountOf(request));
      } else if (error.code === 'POS_ERR_RATE_LIMITED') {
        await intrusion.signInThrottled(request);
      }
    } catch (failure) {
      request.log.error({ err: failure }, 'failed sign-in could not be counted');
    }
  });
}

function isScanned(request: FastifyRequest): boolean {
  if (request.routeOptions.config.intrusionScan === false) return false;
  const url = request.routeOptions.url;
  return url === undefined || !UNSCANNED_PREFIXES.some((prefix) => url.startsWith(prefix));
}

/** A string field of the parsed body, lower-cased, or empty. */
function field(request: FastifyRequest, name: string): string {
  const body = request.body;
  if (body === null || typeof body !== 'object') return '';
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value.trim().toLowerCase().slice(0, 64) : '';
}
