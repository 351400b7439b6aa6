import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GENEROUS_RATE_LIMITS } from '../../../test/helpers/app.js';
import { STAFF_PASSWORD } from '../../../test/helpers/auth.js';
import { freeLoopbackPort } from '../../../test/helpers/ports.js';
import { insertProducts } from '../../../test/helpers/products.js';
import { verifyChain } from '../../audit/verify.js';
import { loadConfig } from '../../config/index.js';
import { openDatabase, type Database } from '../../infra/db/database.js';
import { loadMasterKey } from '../../security/keys/master-key.js';

/*
 * The real server as a child process, killed with SIGKILL in the middle of a burst of payments
 * and refunds, then restarted on the same data directory. Whatever it acknowledged must be
 * there, and nothing it wrote may be half-written: the books of every order and payment add up
 * and the audit chain still verifies.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const SLUG = 'casa-crash';
const CARD = { brand: 'visa', last4: '4242', authorizationCode: 'AUTH', nsu: '1' };
const MENU = [
  { id: 'crash-burger', name: 'X-Burguer', priceCents: 2_590 },
  { id: 'crash-soda', name: 'Guaraná', priceCents: 650 },
  { id: 'crash-pudding', name: 'Pudim', priceCents: 1_200 },
] as const;
const SERVICE_FEE_BASIS_POINTS = 1_000;
/** Requests kept in flight during the burst, so that the kill always finds many unanswered. */
const IN_FLIGHT = 32;
/** Acknowledged writes of the burst after which the server dies. */
const KILL_AFTER_ACKS = 40;

interface OrderLine {
  productId: string;
  quantity: number;
}

/** What the test expects of an order, computed here rather than read from the server. */
interface ExpectedOrder {
  type: 'dine_in' | 'takeaway';
  lines: OrderLine[];
  subtotal_cents: number;
  discount_cents: number;
  service_fee_cents: number;
  total_cents: number;
}

function menuPrice(productId: string): number {
  return MENU.find((product) => product.id === productId)!.priceCents;
}

/** The formula of docs/orders.md, worked out apart from src/modules/orders/totals.ts. */
function expectedOrder(
  type: ExpectedOrder['type'],
  lines: OrderLine[],
  discountCents: number,
): ExpectedOrder {
  const subtotal = lines.reduce((sum, line) => sum + line.quantity * menuPrice(line.productId), 0);
  // Half a cent rounds up: (x × bp + 5,000) ÷ 10,000, in integers.
  const fee =
    type === 'dine_in'
      ? Math.floor(((subtotal - discountCents) * SERVICE_FEE_BASIS_POINTS + 5_000) / 10_000)
      : 0;
  return {
    type,
    lines,
    subtotal_cents: subtotal,
    discount_cents: discountCents,
    service_fee_cents: fee,
    total_cents: subtotal - discountCents + fee,
  };
}

interface Server {
  origin: string;
  process: ChildProcess;
  output: () => string;
}

describe('crash safety of payments and refunds', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-crash-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    CHEFIA_DATA_DIR: dataDir,
    CHEFIA_TLS: 'false',
    CHEFIA_HOST: '127.0.0.1',
    CHEFIA_MASTER_KEY: randomBytes(32).toString('base64'),
    // Only admins enrol TOTP, so the cashier and the manager sign in with a password.
    CHEFIA_MFA_REQUIRED_ROLES: 'admin',
    CHEFIA_LOG_LEVEL: 'warn',
    ...GENEROUS_RATE_LIMITS,
  };
  let running: Server | null = null;

  const cli = (args: string[], input?: string) => {
    const result = spawnSync('node', [...CLI, ...args], {
      cwd: ROOT,
      env,
      input,
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`chefia ${args.join(' ')}: ${result.stderr}`);
    return JSON.parse(result.stdout) as { id: string };
  };

  async function start(): Promise<Server> {
    const port = await freeLoopbackPort();
    const child = spawn('node', [...CLI, 'serve'], {
      cwd: ROOT,
      env: { ...env, CHEFIA_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const origin = `http://127.0.0.1:${port}`;
    for (let attempt = 0; attempt < 300; attempt++) {
      if (child.exitCode !== null) throw new Error(`server exited: ${output}`);
      const live = await fetch(`${origin}/health/live`).catch(() => null);
      if (live?.ok) return { origin, process: child, output: () => output };
      await sleep(100);
    }
    child.kill('SIGKILL');
    throw new Error(`server did not start: ${output}`);
  }

  async function kill(server: Server): Promise<void> {
    const child = server.process;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    server.process.kill('SIGKILL');
    await exited;
  }

  const call = async (
    server: Server,
    method: string,
    url: string,
    options: { token?: string; key?: string; body?: unknown } = {},
  ) => {
    const response = await fetch(`${server.origin}${url}`, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.key ? { 'idempotency-key': options.key } : {}),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  const login = async (server: Server, username: string) => {
    const response = await call(server, 'POST', '/api/v1/auth/login', {
      body: { restaurant: SLUG, username, password: STAFF_PASSWORD },
    });
    if (response.status !== 200) throw new Error(`login failed: ${JSON.stringify(response.body)}`);
    return response.body.accessToken as string;
  };

  const withDatabase = async <T>(work: (db: Database) => Promise<T>): Promise<T> => {
    const db = openDatabase({ dataDir });
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  };

  // Three CLI runs, each hashing a password with production parameters.
  beforeAll(() => {
    cli(['restaurant', 'create', '--slug', SLUG, '--name', 'Casa do Crash']);
    cli(
      [
        'user',
        'create',
        '--restaurant',
        SLUG,
        '--username',
        'caixa',
        '--role',
        'cashier',
        '--password-stdin',
      ],
      STAFF_PASSWORD,
    );
    cli(
      [
        'user',
        'create',
        '--restaurant',
        SLUG,
        '--username',
        'gerente',
        '--role',
        'manager',
        '--password-stdin',
      ],
      STAFF_PASSWORD,
    );
  }, 120_000);
  afterAll(async () => {
    if (running) await kill(running);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'keeps every acknowledged payment and refund, and the books balanced, across a SIGKILL',
    { timeout: 180_000 },
    async () => {
      running = await start();
      const server = running;
      const cashier = await login(server, 'caixa');
      const manager = await login(server, 'gerente');
      const drawer = await call(server, 'POST', '/api/v1/cashier/sessions', {
        token: cashier,
        body: { terminalId: 'caixa-1', openingFloatCents: 10_000 },
      });
      expect(drawer.status).toBe(201);

      // The catalog has no CLI and only admins, who must enrol TOTP, create products: the menu and
      // the service fee are written beside the running server (WAL allows it), which reads both
      // from the database when it prices an order.
      const restaurantId = await withDatabase(async (db) => {
        const restaurant = await db.kysely
          .selectFrom('restaurants')
          .select('id')
          .where('slug', '=', SLUG)
          .executeTakeFirstOrThrow();
        await db.kysely
          .updateTable('restaurants')
          .set({ service_fee_basis_points: SERVICE_FEE_BASIS_POINTS })
          .where('id', '=', restaurant.id)
          .execute();
        await insertProducts(db.kysely, restaurant.id, MENU);
        return restaurant.id;
      });

      // Forty orders taken through the API, priced by the server; every third one discounted.
      const expected = new Map<string, ExpectedOrder>();
      for (let index = 0; index < 40; index++) {
        const type = index % 4 === 3 ? 'takeaway' : 'dine_in';
        const lines: OrderLine[] = [
          { productId: 'crash-burger', quantity: 1 + (index % 3) },
          { productId: 'crash-soda', quantity: 1 + (index % 2) },
          ...(index % 5 === 0 ? [{ productId: 'crash-pudding', quantity: 2 }] : []),
        ];
        const created = await call(server, 'POST', '/api/v1/orders', {
          token: cashier,
          body: {
            type,
            ...(type === 'dine_in' ? { tableLabel: `Mesa ${index}` } : {}),
            items: lines,
          },
        });
        expect(created.status).toBe(201);
        const orderId = created.body.id as string;
        const discountCents = index % 3 === 0 ? 100 + index * 10 : 0;
        if (discountCents > 0) {
          const discounted = await call(server, 'PATCH', `/api/v1/orders/${orderId}`, {
            token: manager,
            body: { discountCents },
          });
          expect(discounted.status).toBe(200);
        }
        expected.set(orderId, expectedOrder(type, lines, discountCents));
      }
      const orderIds = [...expected.keys()];
      const totalOf = (orderId: string) => expected.get(orderId)!.total_cents;
      const twoFifths = (cents: number) => Math.floor((cents * 2) / 5);

      // Ten orders paid in full by card first: the refunds of the burst target their payments.
      const refundable: { paymentId: string; amountCents: number }[] = [];
      for (const orderId of orderIds.slice(0, 10)) {
        const paid = await call(server, 'POST', `/api/v1/orders/${orderId}/payments`, {
          token: cashier,
          key: randomUUID(),
          body: { method: 'credit', amountCents: totalOf(orderId), card: CARD },
        });
        expect(paid.status).toBe(201);
        expect(paid.body.order).toMatchObject({ status: 'paid' });
        refundable.push({ paymentId: paid.body.id as string, amountCents: totalOf(orderId) });
      }

      interface Sent {
        kind: 'payment' | 'refund';
        url: string;
        token: string;
        key: string;
        body: Record<string, unknown>;
        issued?: boolean;
        response?: { status: number; body: Record<string, unknown> };
      }
      const burst: Sent[] = [];
      for (const orderId of orderIds.slice(10)) {
        for (const method of ['cash', 'debit', 'cash']) {
          // Three payments of 40% each: the third must be refused, never overpay.
          burst.push({
            kind: 'payment',
            url: `/api/v1/orders/${orderId}/payments`,
            token: cashier,
            key: randomUUID(),
            body: {
              method,
              amountCents: twoFifths(totalOf(orderId)),
              ...(method === 'debit' ? { card: CARD } : {}),
            },
          });
        }
      }
      for (const { paymentId, amountCents } of refundable) {
        for (let index = 0; index < 3; index++) {
          burst.push({
            kind: 'refund',
            url: `/api/v1/payments/${paymentId}/refunds`,
            token: manager,
            key: randomUUID(),
            body: { amountCents: twoFifths(amountCents), reason: `estorno ${index}` },
          });
        }
      }
      burst.sort(() => Math.random() - 0.5);

      // IN_FLIGHT senders keep the server busy. The acknowledgement that reaches KILL_AFTER_ACKS
      // freezes the server with SIGSTOP on the spot: it runs no more code, so whatever it was
      // writing stays half-done, exactly as under a SIGKILL at that instant. The senders go on
      // refilling their slots (the burst is longer than the acknowledgements and refusals it can
      // get by then), so requests the frozen server can never answer are always in flight when
      // the SIGKILL lands a moment later, however far the client lagged behind.
      let acknowledged = 0;
      let next = 0;
      let dying = false;
      let froze: () => void = () => {};
      const frozen = new Promise<void>((resolve) => (froze = resolve));
      const sender = async () => {
        while (!dying && next < burst.length) {
          const request = burst[next++]!;
          request.issued = true;
          try {
            request.response = await call(server, 'POST', request.url, request);
          } catch {
            // Connection reset by the kill: not acknowledged.
            continue;
          }
          if (request.response.status >= 300) continue;
          acknowledged += 1;
          if (acknowledged === KILL_AFTER_ACKS) {
            server.process.kill('SIGSTOP');
            froze();
          }
        }
      };
      const senders = Promise.all(Array.from({ length: IN_FLIGHT }, sender));
      await Promise.race([frozen, senders]);
      expect(acknowledged, 'the burst ended before the kill').toBeGreaterThanOrEqual(
        KILL_AFTER_ACKS,
      );
      await sleep(250);
      dying = true;
      await kill(server);
      await senders;

      const acked = burst.filter(
        (r) => r.response && r.response.status >= 200 && r.response.status < 300,
      );
      const lost = burst.filter((r) => r.issued && !r.response);
      expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
      // Never empty: it holds at least the request sent into the slot whose answer froze the
      // server. Usually it also holds the writes the server was in the middle of.
      expect(lost.length).toBeGreaterThan(0);

      running = await start();
      const restarted = running;
      const cashierAgain = await login(restarted, 'caixa');
      const managerAgain = await login(restarted, 'gerente');
      const tokenFor = (request: Sent) =>
        request.kind === 'payment' ? cashierAgain : managerAgain;

      // An acknowledged request retried with its key answers exactly what it answered before.
      for (const request of acked.slice(0, 10)) {
        const replay = await call(restarted, 'POST', request.url, {
          ...request,
          token: tokenFor(request),
        });
        expect(replay).toEqual(request.response);
      }
      // A request lost in the crash may be retried with its key; it never applies twice.
      for (const request of lost) {
        const retry = await call(restarted, 'POST', request.url, {
          ...request,
          token: tokenFor(request),
        });
        expect([201, 409].includes(retry.status), JSON.stringify(retry.body)).toBe(true);
      }
      await kill(restarted);

      await withDatabase(async (db) => {
        const payments = await db.kysely.selectFrom('payments').selectAll().execute();
        const refunds = await db.kysely.selectFrom('refunds').selectAll().execute();
        const orders = await db.kysely.selectFrom('orders').selectAll().execute();
        const items = await db.kysely
          .selectFrom('order_items')
          .selectAll()
          .orderBy('order_id')
          .orderBy('position')
          .execute();
        const audit = await db.kysely
          .selectFrom('audit_events')
          .select(['action', 'resource_id', 'details', 'chain_id'])
          .execute();
        const systemEntries = audit.filter((entry) => entry.chain_id === 'system').length;

        const paymentById = new Map(payments.map((p) => [p.id, p]));
        const refundIds = new Set(refunds.map((r) => r.id));
        for (const request of acked) {
          const id = request.response!.body.id as string;
          if (request.kind === 'payment') expect(paymentById.get(id)?.status).toBe('captured');
          else expect(refundIds.has(id)).toBe(true);
        }

        for (const payment of payments) {
          const refunded = refunds
            .filter((r) => r.payment_id === payment.id)
            .reduce((sum, r) => sum + r.amount_cents, 0);
          expect(payment.refunded_cents).toBe(refunded);
          expect(refunded).toBeLessThanOrEqual(payment.amount_cents);
        }
        expect(orders.map((order) => order.id).sort()).toEqual([...expected.keys()].sort());
        for (const order of orders) {
          const lines = items.filter((item) => item.order_id === order.id);
          const want = expected.get(order.id)!;
          // Priced by the server from the menu, as the test ordered them.
          expect(
            lines.map((line) => [line.product_id, line.quantity, line.unit_price_cents]),
          ).toEqual(
            want.lines.map((line) => [line.productId, line.quantity, menuPrice(line.productId)]),
          );
          const subtotal = lines
            .filter((line) => line.status !== 'voided')
            .reduce((sum, line) => sum + line.quantity * line.unit_price_cents, 0);
          expect(order.subtotal_cents).toBe(subtotal);
          expect(order.total_cents).toBe(
            order.subtotal_cents - order.discount_cents + order.service_fee_cents,
          );
          expect(order).toMatchObject({
            type: want.type,
            subtotal_cents: want.subtotal_cents,
            discount_cents: want.discount_cents,
            service_fee_cents: want.service_fee_cents,
            total_cents: want.total_cents,
          });

          const captured = payments
            .filter((p) => p.order_id === order.id && p.status === 'captured')
            .reduce((sum, p) => sum + p.amount_cents, 0);
          const refunded = refunds
            .filter((r) => r.order_id === order.id)
            .reduce((sum, r) => sum + r.amount_cents, 0);
          expect(order.paid_cents).toBe(captured - refunded);
          expect(order.paid_cents).toBeLessThanOrEqual(order.total_cents);
          // Paid in full closes the order; a refund of a paid order reopens it as served.
          const status =
            order.paid_cents === order.total_cents ? 'paid' : refunded > 0 ? 'served' : 'open';
          expect(order.status).toBe(status);
        }

        // Every write that committed, acknowledged or not, committed with its audit entry.
        const captures = audit.filter((entry) => entry.action === 'payment.capture');
        expect(captures.map((entry) => entry.resource_id).sort()).toEqual(
          payments.map((p) => p.id).sort(),
        );
        const refundAudits = audit
          .filter((entry) => entry.action === 'payment.refund')
          .map((entry) => (JSON.parse(entry.details) as { refundId?: string }).refundId)
          .filter((id) => id !== undefined);
        expect(refundAudits.sort()).toEqual([...refundIds].sort());

        const { auditChainKey } = loadMasterKey(loadConfig(env));
        const chain = await verifyChain(db.kysely, auditChainKey, restaurantId);
        expect(chain).toMatchObject({ ok: true, firstBreak: null });
        expect(chain.checked).toBe(audit.length - systemEntries);
        expect((await verifyChain(db.kysely, auditChainKey, 'system')).ok).toBe(true);
      });
    },
  );
});
