import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { testMasterKey } from '../../../test/helpers/app.js';
import { createPostgresDatabase, testDialects } from '../../../test/helpers/database.js';
import { closeContext, createContext } from '../../app/bootstrap.js';
import type { AppContext } from '../../app/context.js';
import type { AuditEventInput } from '../../audit/events.js';
import { loadConfig } from '../../config/index.js';
import { ManualClock } from '../../core/clock.js';
import type { DialectName } from '../../infra/db/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { createLogger } from '../../infra/logging/logger.js';
import { TEST_HASH_PARAMS, createPasswordHasher } from '../../security/passwords/index.js';
import { MAX_DELIVERY_ATTEMPTS, backoffMs } from './dispatcher.js';
import { verifyAlertSignature } from './signature.js';
import type { HostResolver, WebhookRequest, WebhookTransport } from './webhook.js';

const SECRET = 'whk_9f2c71d04be85a3e6c1d7f0a2b94e8c5';
const WEBHOOK_URL = 'https://alerts.example/chefia';
const PUBLIC_ADDRESS = '93.184.216.34';
const HOUR = 3_600_000;

const publicResolver: HostResolver = async () => [{ address: PUBLIC_ADDRESS, family: 4 }];

/** Refresh-token reuse: risk 9, above the alert threshold. */
function tokenReuse(restaurantId: string): AuditEventInput {
  return {
    type: 'token_reuse',
    action: 'auth.refresh_reuse',
    outcome: 'denied',
    restaurantId,
    actor: { type: 'user', id: 'user-1', role: 'cashier' },
    source: { ip: '203.0.113.45', requestId: 'req-1' },
    resource: { type: 'session', id: 'session-1' },
    risk: { suspiciousPattern: true },
  };
}

function recordingTransport(status = 204): WebhookTransport & { sent: WebhookRequest[] } {
  const sent: WebhookRequest[] = [];
  return Object.assign(
    async (request: WebhookRequest) => {
      sent.push(request);
      return { status };
    },
    { sent },
  );
}

/** Remembers any delivery attempted through it; each test then fails if there was one. */
const forbiddenCalls: WebhookRequest[] = [];
const forbiddenTransport: WebhookTransport = (request) => {
  forbiddenCalls.push(request);
  throw new Error('no delivery may be attempted here');
};
afterEach(() => {
  const calls = forbiddenCalls.splice(0);
  expect(
    calls.map((call) => call.address),
    'deliveries attempted',
  ).toEqual([]);
});

/**
 * One database (a SQLite file or a PostgreSQL database) that several contexts open in turn, as
 * successive server processes would.
 */
async function sharedDatabase(dialect: DialectName) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-alerts-'));
  const postgres = dialect === 'postgres' ? await createPostgresDatabase() : null;
  const masterKey = testMasterKey();
  const clock = new ManualClock('2026-03-01T10:00:00.000Z');
  const open: AppContext[] = [];

  return {
    clock,
    async open(
      delivery: { transport: WebhookTransport; resolver?: HostResolver; pollIntervalMs?: number },
      env: Record<string, string> = {},
    ): Promise<AppContext> {
      const config = loadConfig({
        NODE_ENV: 'test',
        CHEFIA_DATA_DIR: dataDir,
        CHEFIA_TLS: 'false',
        CHEFIA_MASTER_KEY: masterKey,
        CHEFIA_ALERT_WEBHOOK_URL: WEBHOOK_URL,
        CHEFIA_ALERT_WEBHOOK_SECRET: SECRET,
        ...(postgres ? { DATABASE_URL: postgres.url } : {}),
        ...env,
      });
      const context = await createContext(config, {
        logger: createLogger('silent'),
        clock,
        passwordHasher: createPasswordHasher(TEST_HASH_PARAMS),
        alertDelivery: {
          resolver: delivery.resolver ?? publicResolver,
          transport: delivery.transport,
          pollIntervalMs: delivery.pollIntervalMs ?? HOUR,
        },
      });
      open.push(context);
      return context;
    },
    async close(context: AppContext) {
      open.splice(open.indexOf(context), 1);
      await closeContext(context);
    },
    async dispose() {
      for (const context of open) await closeContext(context);
      await postgres?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const record = (context: AppContext, event: AuditEventInput) =>
  inTransaction(context.database, (tx) => context.audit.record(tx, event));

const outboxRows = (context: AppContext) =>
  context.database.kysely.selectFrom('alert_outbox').selectAll().orderBy('created_at').execute();

describe.each(testDialects())('alert outbox and dispatcher on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof sharedDatabase>>;

  beforeAll(async () => {
    db = await sharedDatabase(dialect);
  });
  afterAll(() => db.dispose());

  it('delivers an alert recorded before a restart, once the next process starts', async () => {
    const restaurantId = randomUUID();
    const first = await db.open({ transport: forbiddenTransport });
    const entry = await record(first, tokenReuse(restaurantId));
    const [queued] = await outboxRows(first);
    await db.close(first);

    expect(entry.risk_score).toBeGreaterThan(7);
    expect(queued).toMatchObject({ status: 'pending', attempts: 0 });

    const transport = recordingTransport();
    const second = await db.open({ transport, pollIntervalMs: 20 });
    await vi.waitFor(() => expect(transport.sent).toHaveLength(1), { timeout: 5000 });
    await vi.waitFor(async () =>
      expect((await outboxRows(second))[0]).toMatchObject({ status: 'delivered', attempts: 1 }),
    );

    const [sent] = transport.sent;
    const body = JSON.parse(sent?.body ?? '{}') as Record<string, unknown>;
    expect(sent?.body).toBe(queued?.payload);
    expect(sent?.address).toBe(PUBLIC_ADDRESS);
    expect(sent?.url.href).toBe(WEBHOOK_URL);
    expect(
      verifyAlertSignature(
        SECRET,
        sent?.body ?? '',
        sent?.headers['x-chefia-signature'] ?? '',
        db.clock.now(),
      ),
    ).toBe(true);
    expect(body).toMatchObject({
      type: 'chefia.security_alert',
      restaurantId,
      event: {
        id: entry.id,
        seq: entry.seq,
        eventType: 'token_reuse',
        action: 'auth.refresh_reuse',
        riskScore: entry.risk_score,
        source: { ipPrefix: '203.0.113.0/24', requestId: 'req-1' },
      },
    });
    expect(sent?.body).not.toContain('203.0.113.45');
    expect(sent?.body).not.toContain(entry.ip_hash ?? 'no-hash');
    await db.close(second);
  });

  it('retries with exponential backoff, then marks the delivery failed', async () => {
    const transport = recordingTransport(503);
    const context = await db.open({ transport });
    await record(context, tokenReuse(randomUUID()));
    const id = (await outboxRows(context)).find((row) => row.status === 'pending')?.id;
    const row = async () => (await outboxRows(context)).find((candidate) => candidate.id === id);

    for (let attempt = 1; attempt <= MAX_DELIVERY_ATTEMPTS; attempt += 1) {
      const pass = await context.alerts?.dispatchDue();
      const last = attempt === MAX_DELIVERY_ATTEMPTS;
      expect(pass).toEqual({ delivered: 0, retrying: last ? 0 : 1, failed: last ? 1 : 0 });
      expect(await row()).toMatchObject({
        attempts: attempt,
        status: last ? 'failed' : 'pending',
        last_error: 'http_status',
        last_status: 503,
      });
      if (last) break;

      // Not due again until its backoff has passed.
      const due = new Date(db.clock.now().getTime() + backoffMs(attempt)).toISOString();
      expect((await row())?.next_attempt_at).toBe(due);
      expect(await context.alerts?.dispatchDue()).toEqual({ delivered: 0, retrying: 0, failed: 0 });
      db.clock.set(due);
    }

    expect(transport.sent).toHaveLength(MAX_DELIVERY_ATTEMPTS);
    expect(await context.alerts?.dispatchDue()).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    const metrics = await context.metrics.exposition();
    expect(metrics.body).toContain('chefia_alert_deliveries_total{outcome="failed"} 1');
    expect(metrics.body).toContain(
      `chefia_alert_deliveries_total{outcome="retry"} ${MAX_DELIVERY_ATTEMPTS - 1}`,
    );
    await db.close(context);
  });

  it('sends each alert once when two processes dispatch at the same time', async () => {
    const slow =
      (sent: string[]): WebhookTransport =>
      async (request) => {
        sent.push(request.body);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { status: 204 };
      };
    const sentByA: string[] = [];
    const sentByB: string[] = [];
    const a = await db.open({ transport: slow(sentByA) });
    const b = await db.open({ transport: slow(sentByB) });
    for (let i = 0; i < 3; i += 1) await record(a, tokenReuse(randomUUID()));

    await Promise.all([a.alerts?.dispatchDue(), b.alerts?.dispatchDue()]);

    const bodies = [...sentByA, ...sentByB];
    expect(bodies).toHaveLength(3);
    expect(new Set(bodies).size).toBe(3);
    expect((await outboxRows(a)).filter((row) => row.status === 'pending')).toEqual([]);
    await db.close(a);
    await db.close(b);
  });

  describe('security', () => {
    it('never connects to a webhook host that resolves to a private address', async () => {
      const context = await db.open({
        transport: forbiddenTransport,
        resolver: async () => [{ address: '10.0.0.1', family: 4 }],
      });
      await record(context, tokenReuse(randomUUID()));

      const pass = await context.alerts?.dispatchDue();

      expect(pass?.retrying).toBeGreaterThan(0);
      const rows = await outboxRows(context);
      expect(rows.filter((row) => row.status === 'pending').map((row) => row.last_error)).toContain(
        'address_refused:private',
      );
      await db.close(context);
    });
  });
});

describe.each(testDialects())('raising alerts on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof sharedDatabase>>;
  let context: AppContext;

  beforeAll(async () => {
    db = await sharedDatabase(dialect);
    context = await db.open({ transport: forbiddenTransport });
  });
  afterAll(() => db.dispose());

  const alertsOf = (restaurantId: string) =>
    context.database.kysely
      .selectFrom('security_alerts')
      .selectAll()
      .where('restaurant_id', '=', restaurantId)
      .execute();

  it('raises an alert only above risk 7', async () => {
    const restaurantId = randomUUID();

    // Risk 7 (a configuration change) and 6 (a seventh login failure) stay below the line.
    await record(context, { ...tokenReuse(restaurantId), type: 'configuration_change', risk: {} });
    await record(context, {
      ...tokenReuse(restaurantId),
      type: 'login_failure',
      action: 'auth.login',
      risk: { repeatedFailures: 6 },
    });
    const high = await record(context, tokenReuse(restaurantId));

    const alerts = await alertsOf(restaurantId);
    expect(alerts).toEqual([
      expect.objectContaining({
        audit_event_id: high.id,
        seq: high.seq,
        risk_score: high.risk_score,
        event_type: 'token_reuse',
      }),
    ]);
  });

  it('raises nothing when the transaction that recorded the event rolls back', async () => {
    const restaurantId = randomUUID();
    const before = (await outboxRows(context)).length;

    await expect(
      inTransaction(context.database, async (tx) => {
        await context.audit.record(tx, tokenReuse(restaurantId));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');

    expect(await alertsOf(restaurantId)).toEqual([]);
    expect(await outboxRows(context)).toHaveLength(before);
  });

  it('stores the alert but queues no delivery when no webhook is configured', async () => {
    const restaurantId = randomUUID();
    const unconfigured = await db.open(
      { transport: forbiddenTransport },
      { CHEFIA_ALERT_WEBHOOK_URL: '', CHEFIA_ALERT_WEBHOOK_SECRET: '' },
    );
    const before = (await outboxRows(unconfigured)).length;

    await record(unconfigured, tokenReuse(restaurantId));

    expect(unconfigured.alerts).toBeNull();
    expect(await alertsOf(restaurantId)).toHaveLength(1);
    expect(await outboxRows(unconfigured)).toHaveLength(before);
    await db.close(unconfigured);
  });
});
