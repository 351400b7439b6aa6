import { ORDER_NOTES_BODY, startProtectionServer } from '../protection-server.js';
import type { BenchTarget } from '../scenario.js';

export const name = 'app-notes-protected';
export const description =
  'the same POST with rate limiting (counted per client address) and intrusion detection ' +
  '(path, query and the whole body scanned) on';
export const compareTo = 'app-notes-unprotected';

export async function setup(): Promise<BenchTarget> {
  const server = await startProtectionServer({});
  return {
    url: `${server.origin}/api/v1/bench/order-notes`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: ORDER_NOTES_BODY,
    close: () => server.close(),
  };
}
