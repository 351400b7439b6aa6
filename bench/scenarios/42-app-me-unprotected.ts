import { startProtectionServer } from '../protection-server.js';
import type { BenchTarget } from '../scenario.js';

export const name = 'app-me-unprotected';
export const description =
  'baseline: the app with rate limiting and intrusion detection off, authenticated ' +
  'GET /api/v1/auth/me (token check, one indexed read)';

export async function setup(): Promise<BenchTarget> {
  const server = await startProtectionServer({ rateLimit: false, intrusionDetection: false });
  return {
    url: `${server.origin}/api/v1/auth/me`,
    headers: { authorization: server.authorization },
    close: () => server.close(),
  };
}
