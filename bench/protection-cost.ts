/**
 * CPU time per request that rate limiting and intrusion detection add, measured in process with
 * `app.inject` (no sockets) on the two protection routes, protection on and off, in alternating
 * rounds. CPU time rather than wall time: the figure then holds on a busy machine, where the
 * throughput ratios of `npm run bench` drift with whatever else runs. `notes, unique text` gives
 * every request notes never seen before, so the detector's verdict memory cannot help them (the
 * fixed body of `notes` is its best case).
 *
 *   npx tsx bench/protection-cost.ts
 *   BENCH_REQUESTS=5000 BENCH_ROUNDS=5 npx tsx bench/protection-cost.ts
 */
import { cpuMicrosPerCall, median } from './cpu-time.js';
import {
  ORDER_NOTES_BODY,
  startProtectionServer,
  type ProtectionServer,
} from './protection-server.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

type Route = 'notes' | 'notes-unique' | 'me';

const LABELS: Record<Route, string> = {
  notes: 'POST /api/v1/bench/order-notes',
  'notes-unique': 'POST /api/v1/bench/order-notes, unique text',
  me: 'GET /api/v1/auth/me',
};

let sent = 0;

/** The order body with each note made unique to this request. */
function uniqueNotesBody(): string {
  sent += 1;
  const body = JSON.parse(ORDER_NOTES_BODY) as { notes: string; items: Array<{ notes: string }> };
  body.notes = `${body.notes} ${sent}`;
  for (const item of body.items) item.notes = `${item.notes} (pedido ${sent})`;
  return JSON.stringify(body);
}

async function send(server: ProtectionServer, route: Route): Promise<void> {
  const response =
    route !== 'me'
      ? await server.app.inject({
          method: 'POST',
          url: '/api/v1/bench/order-notes',
          headers: { 'content-type': 'application/json' },
          payload: route === 'notes' ? ORDER_NOTES_BODY : uniqueNotesBody(),
        })
      : await server.app.inject({
          method: 'GET',
          url: '/api/v1/auth/me',
          headers: { authorization: server.authorization },
        });
  if (response.statusCode !== 200) throw new Error(`${route} answered ${response.statusCode}`);
}

const off = await startProtectionServer({ rateLimit: false, intrusionDetection: false });
const on = await startProtectionServer({});
try {
  const lines: string[] = [];
  for (const route of ['notes', 'notes-unique', 'me'] as const) {
    for (let i = 0; i < 300; i += 1) {
      await send(off, route);
      await send(on, route);
    }
    const offRuns: number[] = [];
    const onRuns: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      offRuns.push(await cpuMicrosPerCall(() => send(off, route), REQUESTS));
      onRuns.push(await cpuMicrosPerCall(() => send(on, route), REQUESTS));
    }
    const [a, b] = [median(offRuns), median(onRuns)];
    lines.push(
      `| ${LABELS[route]} | ` +
        `${a.toFixed(0)} | ${b.toFixed(0)} | ${(b - a).toFixed(0)} | ${(a / b).toFixed(2)} |`,
    );
  }
  process.stdout.write(
    [
      `${REQUESTS} requests per round, median of ${ROUNDS} alternating rounds, Node ${process.version}.`,
      '',
      '| route | CPU µs/request, off | CPU µs/request, on | added µs | throughput ratio (off/on) |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...lines,
      '',
    ].join('\n'),
  );
} finally {
  await off.close();
  await on.close();
}
