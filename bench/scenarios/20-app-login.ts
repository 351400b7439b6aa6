import { startAuthServer } from '../auth-server.js';
import type { BenchTarget } from '../scenario.js';

export const name = 'app-login';
export const description =
  'POST /api/v1/auth/login that succeeds: argon2id at the production parameters off the event ' +
  'loop, a new session and refresh token, an audit entry, a signed access token';
export const compareTo = 'bare-durable-insert';

export async function setup(): Promise<BenchTarget> {
  const server = await startAuthServer();
  return {
    url: `${server.origin}/api/v1/auth/login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: server.loginBody,
    close: () => server.close(),
  };
}
