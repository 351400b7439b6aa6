import Fastify from 'fastify';

import { BENCH_HOST, type BenchTarget } from '../scenario.js';

export const name = 'bare-hello';
export const description = 'bare Fastify, GET returning a small JSON object, no logger';

export async function setup(): Promise<BenchTarget> {
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ hello: 'world' }));
  const origin = await app.listen({ host: BENCH_HOST, port: 0 });

  return { url: `${origin}/`, close: () => app.close() };
}
