import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import SQLite from 'better-sqlite3';
import Fastify from 'fastify';

import { BENCH_HOST, type BenchTarget } from '../scenario.js';

export const name = 'bare-durable-insert';
export const description =
  'bare Fastify, POST inserting one row into SQLite in WAL mode with synchronous=FULL';

export async function setup(): Promise<BenchTarget> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-bench-'));
  const db = new SQLite(path.join(dataDir, 'bench.db'));
  // The same durability settings as the embedded database (src/infra/db/database.ts).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'CREATE TABLE orders (' +
      'id INTEGER PRIMARY KEY, total_cents INTEGER NOT NULL, created_at TEXT NOT NULL)',
  );
  const insert = db.prepare('INSERT INTO orders (total_cents, created_at) VALUES (?, ?)');

  const app = Fastify({ logger: false });
  app.post<{ Body: { totalCents: number } }>('/orders', async (request, reply) => {
    const { lastInsertRowid } = insert.run(request.body.totalCents, new Date().toISOString());
    return reply.code(201).send({ id: Number(lastInsertRowid) });
  });
  const origin = await app.listen({ host: BENCH_HOST, port: 0 });

  return {
    url: `${origin}/orders`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ totalCents: 4250 }),
    async close() {
      await app.close();
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
