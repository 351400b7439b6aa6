import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import type { AppContext } from '../../app/context.js';
import type { App } from '../../http/app.js';

const Status = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  checks: Type.Optional(
    Type.Record(Type.String(), Type.Union([Type.Literal('ok'), Type.Literal('failed')])),
  ),
});

/** Liveness (the process answers) and readiness (its database, and Redis when configured). */
export async function healthRoutes(app: App, context: AppContext): Promise<void> {
  app.get(
    '/health/live',
    { config: { access: { public: true } }, schema: { response: { 200: Status } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      config: { access: { public: true } },
      schema: { response: { 200: Status, 503: Status } },
    },
    async (_request, reply) => {
      const checks: Record<string, 'ok' | 'failed'> = {
        database: await probe(() => sql`select 1`.execute(context.database.kysely)),
      };
      if (context.redis) checks.redis = await probe(() => context.redis!.ping());

      const ready = Object.values(checks).every((check) => check === 'ok');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
    },
  );
}

async function probe(check: () => Promise<unknown>): Promise<'ok' | 'failed'> {
  try {
    await check();
    return 'ok';
  } catch {
    return 'failed';
  }
}
