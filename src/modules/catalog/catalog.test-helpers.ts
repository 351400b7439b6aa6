import type { InjectOptions, LightMyRequestResponse } from 'fastify';

import type { TestApp } from '../../../test/helpers/app.js';
import { signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import type { Restaurant } from '../restaurants/repository.js';
import type { Role } from '../../security/authz/permissions.js';

/** Shared by the catalog, menu and customers suites. */

export const STAFF_ROLES = ['admin', 'manager', 'cashier', 'waiter', 'kitchen'] as const;
export const ALL_ROLES: readonly Role[] = [...STAFF_ROLES, 'customer'];

/** One signed-in user per role, all in `restaurant`. */
export async function signInEveryRole(
  t: TestApp,
  restaurant: Restaurant,
): Promise<Record<Role, SignedInUser>> {
  const users = {} as Record<Role, SignedInUser>;
  for (const role of ALL_ROLES) users[role] = await signIn(t, restaurant, role);
  return users;
}

/** `app.inject` as `user`, with a JSON body when one is given. */
export function call(
  t: TestApp,
  user: SignedInUser | null,
  method: InjectOptions['method'],
  url: string,
  payload?: unknown,
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method,
    url,
    headers: user ? user.headers : {},
    ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }),
  });
}

/** The error fields a test compares: status and code, as the client sees them. */
export function errorOf(response: LightMyRequestResponse): { status: number; code: unknown } {
  const body = response.json<{ code?: unknown }>();
  return { status: response.statusCode, code: body.code };
}
