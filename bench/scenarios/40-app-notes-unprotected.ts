import { ORDER_NOTES_BODY, startProtectionServer } from '../protection-server.js';
import type { BenchTarget } from '../scenario.js';

export const name = 'app-notes-unprotected';
export const description =
  'baseline: the app with rate limiting and intrusion detection off, public POST of a 5-item ' +
  'order-shaped JSON body with free-text notes, validated and answered without the database';

export async function setup(): Promise<BenchTarget> {
  const server = await startProtectionServer({ rateLimit: false, intrusionDetection: false });
  return {
    url: `${server.origin}/api/v1/bench/order-notes`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: ORDER_NOTES_BODY,
    close: () => server.close(),
  };
}
