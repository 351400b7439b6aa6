import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

import selfsigned from 'selfsigned';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { ManualClock } from '../../core/clock.js';
import { verifyAlertSignature } from './signature.js';
import {
  WEBHOOK_TIMEOUT_MS,
  httpsTransport,
  sendWebhook,
  type HostResolver,
  type WebhookRequest,
  type WebhookTarget,
  type WebhookTransport,
} from './webhook.js';

const SECRET = 'k'.repeat(16) + 'Q7v!x2-Lm9#pR4zT';
const BODY = JSON.stringify({ type: 'chefia.security_alert', alertId: 'alert-1' });
const PUBLIC_ADDRESS = '93.184.216.34';

const target = (url: string, allowPrivate = false): WebhookTarget => ({
  url,
  secret: SECRET,
  allowPrivate,
});

/**
 * No test may send traffic anywhere: a refused target must never reach the transport. Every call
 * is remembered (the delivery code would swallow a thrown error) and fails the test after it.
 */
const forbiddenCalls: WebhookRequest[] = [];
const forbiddenTransport: WebhookTransport = (request) => {
  forbiddenCalls.push(request);
  throw new Error('the transport was called for a refused address');
};
afterEach(() => {
  const calls = forbiddenCalls.splice(0);
  expect(
    calls.map((call) => call.address),
    'connections attempted',
  ).toEqual([]);
});

/** A resolver answering from a fixed table, counting its calls. */
function resolverFor(table: Record<string, string[]>): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (hostname: string) => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolver, { calls });
}

/** A transport that records what it was asked to send and answers `status`. */
function recordingTransport(status = 204): WebhookTransport & { sent: WebhookRequest[] } {
  const sent: WebhookRequest[] = [];
  const transport = async (request: WebhookRequest) => {
    sent.push(request);
    return { status };
  };
  return Object.assign(transport, { sent });
}

describe('alert webhook delivery', () => {
  const clock = new ManualClock('2026-03-01T10:00:00.000Z');

  describe('security: refused targets are never connected to', () => {
    it.each([
      ['https://127.0.0.1/hook', 'loopback'],
      ['https://10.0.0.1/hook', 'private'],
      ['https://169.254.169.254/latest/meta-data/', 'metadata'],
      ['https://[::1]/hook', 'loopback'],
      ['https://[fd00:ec2::254]/hook', 'metadata'],
      ['https://0.0.0.0/hook', 'unspecified'],
    ])('refuses the literal %s (%s)', async (url, reason) => {
      const resolver = resolverFor({});

      const result = await sendWebhook(target(url), BODY, {
        clock,
        resolver,
        transport: forbiddenTransport,
      });

      expect(result).toEqual({ ok: false, reason: 'address_refused', refused: reason });
      expect(resolver.calls).toEqual([]);
    });

    it.each([
      ['loopback.example', ['127.0.0.1'], 'loopback'],
      ['internal.example', ['10.0.0.1'], 'private'],
      ['metadata.example', ['169.254.169.254'], 'metadata'],
      ['ipv6-loopback.example', ['::1'], 'loopback'],
      ['mapped.example', ['::ffff:127.0.0.1'], 'loopback'],
    ])('refuses %s, which resolves to %s', async (host, addresses, reason) => {
      const resolver = resolverFor({ [host]: addresses });

      const result = await sendWebhook(target(`https://${host}/hook`), BODY, {
        clock,
        resolver,
        transport: forbiddenTransport,
      });

      expect(result).toEqual({ ok: false, reason: 'address_refused', refused: reason });
      expect(resolver.calls).toEqual([host]);
    });

    it('refuses a name whose answer mixes a public and a private address', async () => {
      const resolver = resolverFor({ 'mixed.example': [PUBLIC_ADDRESS, '10.0.0.1'] });

      const result = await sendWebhook(target('https://mixed.example/hook'), BODY, {
        clock,
        resolver,
        transport: forbiddenTransport,
      });

      expect(result).toMatchObject({ ok: false, reason: 'address_refused', refused: 'private' });
    });

    it('still refuses a metadata address when private targets are allowed', async () => {
      const resolver = resolverFor({ 'rebind.example': ['169.254.169.254'] });

      const result = await sendWebhook(target('https://rebind.example/hook', true), BODY, {
        clock,
        resolver,
        transport: forbiddenTransport,
      });

      expect(result).toMatchObject({ ok: false, reason: 'address_refused', refused: 'metadata' });
    });

    it('refuses a plain-HTTP target without resolving or connecting', async () => {
      const resolver = resolverFor({ 'alerts.example': [PUBLIC_ADDRESS] });

      const result = await sendWebhook(target('http://alerts.example/hook'), BODY, {
        clock,
        resolver,
        transport: forbiddenTransport,
      });

      expect(result).toEqual({ ok: false, reason: 'not_https' });
      expect(resolver.calls).toEqual([]);
    });

    it('connects to the address it checked, resolving once, so a rebinding answer is unused', async () => {
      let answers = 0;
      const rebinding: HostResolver = async () => {
        answers += 1;
        return [{ address: answers === 1 ? PUBLIC_ADDRESS : '127.0.0.1', family: 4 }];
      };
      const transport = recordingTransport();

      const result = await sendWebhook(target('https://alerts.example/hook'), BODY, {
        clock,
        resolver: rebinding,
        transport,
      });

      expect(result).toEqual({ ok: true, status: 204 });
      expect(answers).toBe(1);
      expect(transport.sent.map((sent) => sent.address)).toEqual([PUBLIC_ADDRESS]);
    });
  });

  it('posts the body signed with HMAC over "<t>.<body>", t from the clock', async () => {
    const transport = recordingTransport();

    await sendWebhook(target('https://alerts.example:8443/hook?tenant=x'), BODY, {
      clock,
      resolver: resolverFor({ 'alerts.example': [PUBLIC_ADDRESS] }),
      transport,
    });

    const [sent] = transport.sent;
    const signature = sent?.headers['x-chefia-signature'] ?? '';
    expect(sent).toMatchObject({
      address: PUBLIC_ADDRESS,
      family: 4,
      body: BODY,
      timeoutMs: WEBHOOK_TIMEOUT_MS,
      headers: { 'content-type': 'application/json' },
    });
    expect(sent?.url.href).toBe('https://alerts.example:8443/hook?tenant=x');
    expect(signature).toMatch(/^t=1772359200,v1=[0-9a-f]{64}$/);
    expect(verifyAlertSignature(SECRET, BODY, signature, clock.now())).toBe(true);
    expect(verifyAlertSignature(SECRET, `${BODY} `, signature, clock.now())).toBe(false);
    expect(verifyAlertSignature('another-secret', BODY, signature, clock.now())).toBe(false);
  });

  it('refuses, as a receiver, a signature older than the tolerance (a replay)', async () => {
    const transport = recordingTransport();
    await sendWebhook(target(`https://${PUBLIC_ADDRESS}/hook`), BODY, {
      clock,
      resolver: resolverFor({}),
      transport,
    });
    const signature = transport.sent[0]?.headers['x-chefia-signature'] ?? '';

    const later = new Date(clock.now().getTime() + 301_000);
    expect(verifyAlertSignature(SECRET, BODY, signature, later)).toBe(false);
  });

  it.each([
    [500, 'http_status'],
    [302, 'http_status'],
    [404, 'http_status'],
  ])('counts an answer of %i as a failed attempt (%s), following no redirect', async (status) => {
    const transport = recordingTransport(status);

    const result = await sendWebhook(target(`https://${PUBLIC_ADDRESS}/hook`), BODY, {
      clock,
      resolver: resolverFor({}),
      transport,
    });

    expect(result).toEqual({ ok: false, reason: 'http_status', status });
    expect(transport.sent).toHaveLength(1);
  });

  it('names a timeout, a network error and a name that does not resolve', async () => {
    const deps = { clock, resolver: resolverFor({ 'alerts.example': [PUBLIC_ADDRESS] }) };
    const url = target('https://alerts.example/hook');

    const timedOut = await sendWebhook(url, BODY, {
      ...deps,
      transport: () => Promise.reject(new DOMException('timed out', 'TimeoutError')),
    });
    const network = await sendWebhook(url, BODY, {
      ...deps,
      transport: () => Promise.reject(Object.assign(new Error('reset'), { code: 'ECONNRESET' })),
    });
    const unresolved = await sendWebhook(target('https://nowhere.example/hook'), BODY, {
      ...deps,
      transport: forbiddenTransport,
    });

    expect(timedOut).toEqual({ ok: false, reason: 'timeout' });
    expect(network).toEqual({ ok: false, reason: 'network' });
    expect(unresolved).toEqual({ ok: false, reason: 'resolve_failed' });
  });

  it('gives up on a resolver that does not answer within the timeout', async () => {
    vi.useFakeTimers();
    try {
      const pending = sendWebhook(target('https://slow.example/hook'), BODY, {
        clock,
        resolver: () => new Promise(() => undefined),
        transport: forbiddenTransport,
      });
      await vi.advanceTimersByTimeAsync(WEBHOOK_TIMEOUT_MS + 1);
      expect(await pending).toEqual({ ok: false, reason: 'timeout' });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the HTTPS transport, against a loopback receiver (private targets opted in)', () => {
  let server: Server;
  let port: number;
  let cert: string;
  const received: Array<{ method?: string; url?: string; headers: object; body: string }> = [];

  beforeAll(async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'alerts.localhost' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'alerts.localhost' }] }],
    });
    cert = pems.cert;
    server = createServer({ key: pems.private, cert: pems.cert }, (request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ method: request.method, url: request.url, headers: request.headers, body });
        if (request.url === '/slow') return; // never answers
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const clock = new ManualClock('2026-03-01T10:00:00.000Z');
  const resolver: HostResolver = async () => [{ address: '127.0.0.1', family: 4 }];

  it('delivers to the pinned address, checking the certificate against the host name', async () => {
    received.length = 0;

    const result = await sendWebhook(target(`https://alerts.localhost:${port}/hook`, true), BODY, {
      clock,
      resolver,
      transport: httpsTransport({ ca: cert }),
    });

    expect(result).toEqual({ ok: true, status: 204 });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request).toMatchObject({ method: 'POST', url: '/hook', body: BODY });
    expect(request?.headers).toMatchObject({ host: `alerts.localhost:${port}` });
    const signature = (request?.headers as Record<string, string>)['x-chefia-signature'] ?? '';
    expect(verifyAlertSignature(SECRET, BODY, signature, clock.now())).toBe(true);
  });

  it('fails on a certificate that does not name the host', async () => {
    received.length = 0;

    const result = await sendWebhook(target(`https://other.localhost:${port}/hook`, true), BODY, {
      clock,
      resolver,
      transport: httpsTransport({ ca: cert }),
    });

    expect(result).toEqual({ ok: false, reason: 'network' });
    expect(received).toEqual([]);
  });

  it('refuses the same loopback receiver without the opt-in, before connecting', async () => {
    received.length = 0;

    const result = await sendWebhook(target(`https://alerts.localhost:${port}/hook`), BODY, {
      clock,
      resolver,
      transport: httpsTransport({ ca: cert }),
    });

    expect(result).toMatchObject({ ok: false, reason: 'address_refused', refused: 'loopback' });
    expect(received).toEqual([]);
  });

  it('aborts an answer slower than its timeout', async () => {
    const transport = httpsTransport({ ca: cert });

    await expect(
      transport({
        url: new URL(`https://alerts.localhost:${port}/slow`),
        address: '127.0.0.1',
        family: 4,
        headers: {},
        body: BODY,
        timeoutMs: 200,
      }),
    ).rejects.toMatchObject({ name: expect.stringMatching(/TimeoutError|AbortError/) });
  });
});
