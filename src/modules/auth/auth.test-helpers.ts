import type { LightMyRequestResponse } from 'fastify';

import type { TestApp } from '../../../test/helpers/app.js';
import type { UsersTable } from '../../infra/db/schema.js';

/** Shared by the identity suites: requests and database reads the tests repeat. */

/**
 * Settings for identity suites: they send hundreds of sign-ins and failures from one address on
 * purpose, which per-address rate limits and sweep detection (tested on their own) would stop.
 */
export const IDENTITY_TEST_ENV: Readonly<Record<string, string>> = {
  CHEFIA_RATE_LIMIT_DEFAULT: '1000000/60',
  CHEFIA_RATE_LIMIT_AUTH: '1000000/60',
  CHEFIA_RATE_LIMIT_PAYMENT: '1000000/60',
  CHEFIA_RATE_LIMIT_REPORT: '1000000/60',
  CHEFIA_BRUTE_FORCE_FAILURES: '1000',
  CHEFIA_BRUTE_FORCE_ACCOUNTS: '100',
};

export interface LoginBody {
  restaurant: string;
  username: string;
  password: string;
  totp?: string;
  recoveryCode?: string;
  refreshTokenInCookie?: boolean;
}

export function postLogin(
  t: TestApp,
  body: LoginBody,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: body, headers });
}

export function getMe(t: TestApp, accessToken: string): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(accessToken) });
}

export function postRefresh(t: TestApp, refreshToken: string): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refreshToken },
  });
}

export function bearer(accessToken: string): { authorization: string } {
  return { authorization: `Bearer ${accessToken}` };
}

/** The one body every refused credential gets, whatever was wrong with it. */
export const UNAUTHENTICATED = {
  statusCode: 401,
  code: 'POS_ERR_UNAUTHENTICATED',
  error: 'Unauthorized',
  message: 'Authentication failed.',
};

/** Base64url of a string as it is, or of any other value as JSON: a part of a forged token. */
export const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

const decodePart = (part: string | undefined): Record<string, unknown> =>
  JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/** The three parts of a compact JWS, decoded where they are JSON. */
export function partsOf(token: string) {
  const [header, payload, signature] = token.split('.');
  return { header: decodePart(header), payload: decodePart(payload), signature: signature ?? '' };
}

/** The same token with some payload claims changed, under the original signature. */
export function withClaims(token: string, change: Record<string, unknown>): string {
  const { header, payload, signature } = partsOf(token);
  return `${b64url(header)}.${b64url({ ...payload, ...change })}.${signature}`;
}

/** The stored row of a user, read around the API. */
export async function userRow(t: TestApp, id: string): Promise<UsersTable> {
  return t.context.database.kysely
    .selectFrom('users')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}
