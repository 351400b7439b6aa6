/**
 * Where the CPU time of an authenticated `GET /api/v1/orders/:id` goes, layer by layer, in
 * process and without sockets (`app.inject`), so the figures hold on a busy machine: a bare
 * Fastify hello-world route (the baseline SPEC section 7 compares the route with), the app's
 * cheapest route, the two SQL reads run directly on better-sqlite3 statements, the same reads
 * through Kysely as the orders repository builds them, and the whole request twice: once with
 * the order's view read again from the database (as after any change to an order), once served
 * from the view kept in memory (as repeated reads are). Shares are of the latter.
 *
 *   npm run bench:order-read
 *   BENCH_CALLS=5000 BENCH_ROUNDS=7 npx tsx bench/order-read-cost.ts
 */
import path from 'node:path';

import SQLite from 'better-sqlite3';
import Fastify from 'fastify';
import { Kysely, SqliteDialect, type CompiledQuery } from 'kysely';

import { SQLITE_FILE_NAME } from '../src/infra/db/database.js';
import type { DatabaseSchema } from '../src/infra/db/schema.js';
import { OrdersRepository } from '../src/modules/orders/repository.js';
import { trustedRestaurantId } from '../src/infra/db/tenant.js';
import { cpuMicrosPerCall, median } from './cpu-time.js';
import { startOrderServer, twoItemOrder } from './order-server.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

interface Layer {
  label: string;
  call(): Promise<unknown>;
}

const fixture = await startOrderServer();
const hello = Fastify({ logger: false });
hello.get('/', async () => ({ hello: 'world' }));
const { app, context } = fixture.server;

const created = await fetch(`${fixture.origin}/api/v1/orders`, {
  method: 'POST',
  headers: fixture.headers,
  body: twoItemOrder(fixture.productIds),
});
if (created.status !== 201) throw new Error(`bench order failed with ${created.status}`);
const { id: orderId } = (await created.json()) as { id: string };
const { restaurant_id: restaurantId } = await context.database.kysely
  .selectFrom('orders')
  .select('restaurant_id')
  .where('id', '=', orderId)
  .executeTakeFirstOrThrow();
const orders = new OrdersRepository(context.database.kysely, trustedRestaurantId(restaurantId));

// The repository runs its two reads once more through a logging Kysely on a second connection to
// the same file; the statements it sent are then run bare, with no query builder around them.
const raw = new SQLite(path.join(context.config.dataDir, SQLITE_FILE_NAME), { readonly: true });
const sent: CompiledQuery[] = [];
const logged = new Kysely<DatabaseSchema>({
  dialect: new SqliteDialect({ database: raw }),
  log: (event) => void sent.push(event.query),
});
const loggedOrders = new OrdersRepository(logged, trustedRestaurantId(restaurantId));
await loggedOrders.findById(orderId);
await loggedOrders.itemsOf(orderId);
const statements = sent.map((query) => ({
  statement: raw.prepare(query.sql),
  parameters: query.parameters as unknown[],
}));

const { authorization = '' } = fixture.headers;
const readOrder = async (): Promise<void> => {
  const response = await app.inject({
    method: 'GET',
    url: `/api/v1/orders/${orderId}`,
    headers: { authorization },
  });
  if (response.statusCode !== 200) throw new Error(`GET answered ${response.statusCode}`);
};
const { changes } = context.database;
if (!changes) throw new Error('The order read benchmark runs on the embedded database.');
const layers: Layer[] = [
  {
    label: 'bare Fastify hello world (inject)',
    call: () => hello.inject({ method: 'GET', url: '/' }),
  },
  {
    label: "the app's cheapest route, GET /health/live (inject)",
    call: () => app.inject({ method: 'GET', url: '/health/live' }),
  },
  {
    label: 'the two reads on better-sqlite3 statements',
    call: async () => statements.map(({ statement, parameters }) => statement.all(parameters)),
  },
  {
    label: 'the two reads through Kysely (repository)',
    call: async () => [await orders.findById(orderId), await orders.itemsOf(orderId)],
  },
  {
    label: 'the whole authenticated request, its view read again after a change (inject)',
    call: async () => {
      // A statement writing `orders` is what makes the cached view stale; none is run here.
      changes.statementRunning(['orders']);
      await readOrder();
    },
  },
  {
    label: 'the whole authenticated request, its view served from memory (inject)',
    call: readOrder,
  },
];

try {
  for (const layer of layers) for (let i = 0; i < 300; i += 1) await layer.call();
  const runs = layers.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [index, layer] of layers.entries()) {
      runs[index]?.push(await cpuMicrosPerCall(layer.call, CALLS));
    }
  }
  const costs = runs.map(median);
  const request = costs.at(-1) ?? Number.NaN;
  process.stdout.write(
    [
      `${CALLS} calls per round, median of ${ROUNDS} rounds, Node ${process.version}.`,
      '',
      '| layer | CPU µs/call | share of the request |',
      '| --- | ---: | ---: |',
      ...layers.map(
        (layer, index) =>
          `| ${layer.label} | ${(costs[index] ?? 0).toFixed(1)} | ` +
          `${((costs[index] ?? 0) / request).toFixed(2)} |`,
      ),
      '',
    ].join('\n'),
  );
} finally {
  await logged.destroy();
  await hello.close();
  await fixture.close();
}
