import { startProtectionServer } from '../protection-server.js';
import type { BenchTarget } from '../scenario.js';

export const name = 'app-me-protected';
export const description =
  'the same GET with rate limiting (counted per user) and intrusion detection (path and query) on';
export const compareTo = 'app-me-unprotected';

export async function setup(): Promise<BenchTarget> {
  const server = await startProtectionServer({});
  return {
    url: `${server.origin}/api/v1/auth/me`,
    headers: { authorization: server.authorization },
    close: () => server.close(),
  };
}
