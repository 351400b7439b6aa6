import { lookup } from 'node:dns/promises';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';

import type { Clock } from '../../core/clock.js';
import { refusedAddress, type RefusedAddress } from './address-policy.js';
import { SIGNATURE_HEADER, signAlert } from './signature.js';

/** Per-attempt limit for resolving, connecting and getting the answer. */
export const WEBHOOK_TIMEOUT_MS = 5000;

export interface WebhookTarget {
  url: string;
  secret: string;
  /** The operator's opt-in to loopback, private and link-local receivers. */
  allowPrivate: boolean;
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address it has (`dns.lookup` with `all: true` by default). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** One HTTPS POST to an address that has already been checked. */
export interface WebhookRequest {
  url: URL;
  /** The checked address to connect to; the URL's host is only used for SNI and `Host`. */
  address: string;
  family: 4 | 6;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/** Sends one request and reports the status; injected in tests, which never touch the network. */
export type WebhookTransport = (request: WebhookRequest) => Promise<{ status: number }>;

export type DeliveryFailure =
  'not_https' | 'resolve_failed' | 'address_refused' | 'timeout' | 'network' | 'http_status';

export type DeliveryResult =
  | { ok: true; status: number }
  | { ok: false; reason: DeliveryFailure; status?: number; refused?: RefusedAddress };

export interface WebhookDeps {
  clock: Clock;
  resolver: HostResolver;
  transport: WebhookTransport;
}

export const systemResolver: HostResolver = (hostname) =>
  lookup(hostname, { all: true, verbatim: true });

/**
 * Delivers one signed alert body. The host name is resolved first and EVERY address it resolves
 * to is checked against the address policy before anything connects; the connection then goes to
 * the checked address itself, so a DNS answer that changes between check and connect (rebinding)
 * cannot redirect it. Redirects are not followed: a 3xx counts as a failed attempt.
 */
export async function sendWebhook(
  target: WebhookTarget,
  body: string,
  deps: WebhookDeps,
): Promise<DeliveryResult> {
  const url = new URL(target.url);
  if (url.protocol !== 'https:') return { ok: false, reason: 'not_https' };

  const addresses = await resolveHost(url, deps.resolver);
  if (addresses === 'timeout') return { ok: false, reason: 'timeout' };
  if (!addresses || addresses.length === 0) return { ok: false, reason: 'resolve_failed' };

  for (const { address } of addresses) {
    const refused = refusedAddress(address, target.allowPrivate);
    if (refused) return { ok: false, reason: 'address_refused', refused };
  }

  const [pinned] = addresses;
  if (!pinned) return { ok: false, reason: 'resolve_failed' };
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'chefia-pos-alerts/1',
    [SIGNATURE_HEADER]: signAlert(target.secret, body, deps.clock.now()),
  };

  try {
    const { status } = await deps.transport({
      url,
      address: pinned.address,
      family: isIP(pinned.address) === 6 ? 6 : 4,
      headers,
      body,
      timeoutMs: WEBHOOK_TIMEOUT_MS,
    });
    if (status >= 200 && status < 300) return { ok: true, status };
    return { ok: false, reason: 'http_status', status };
  } catch (error) {
    const name = (error as { name?: unknown } | null)?.name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    return { ok: false, reason: timedOut ? 'timeout' : 'network' };
  }
}

/** The URL's host as addresses: an IP literal as itself, a name through the resolver. */
async function resolveHost(
  url: URL,
  resolver: HostResolver,
): Promise<ResolvedAddress[] | null | 'timeout'> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const version = isIP(host);
  if (version !== 0) return [{ address: host, family: version }];

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), WEBHOOK_TIMEOUT_MS);
    timer.unref();
  });
  try {
    return await Promise.race([resolver(host), deadline]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The production transport: HTTPS to the pinned address, with the URL's host name as the TLS
 * server name (so the certificate is still checked against the name) and as the `Host` header.
 * The response body is discarded unread. `ca` adds trusted roots (tests use a self-signed one).
 */
export function httpsTransport(options: { ca?: string | Buffer } = {}): WebhookTransport {
  return (webhook) =>
    new Promise((resolve, reject) => {
      const hostname = webhook.url.hostname.replace(/^\[(.*)\]$/, '$1');
      const request = httpsRequest(
        {
          host: webhook.address,
          family: webhook.family,
          port: webhook.url.port || 443,
          path: `${webhook.url.pathname}${webhook.url.search}`,
          method: 'POST',
          headers: {
            ...webhook.headers,
            host: webhook.url.host,
            'content-length': Buffer.byteLength(webhook.body),
          },
          // A name, never an IP literal, goes in SNI (RFC 6066); the certificate is checked
          // against it, or against the literal when the URL holds one.
          ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
          agent: false,
          minVersion: 'TLSv1.2',
          signal: AbortSignal.timeout(webhook.timeoutMs),
          ...(options.ca ? { ca: options.ca } : {}),
        },
        (response) => {
          response.resume();
          response.once('end', () => resolve({ status: response.statusCode ?? 0 }));
          response.once('error', reject);
        },
      );
      request.once('error', reject);
      request.end(webhook.body);
    });
}
