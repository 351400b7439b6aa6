import { SYSTEM_ACTOR } from '../../src/audit/events.js';
import { inTransaction } from '../../src/infra/db/transaction.js';
import type { RestaurantId } from '../../src/infra/db/tenant.js';
import { currentTotp } from '../../src/modules/auth/totp.js';
import type { Restaurant } from '../../src/modules/restaurants/repository.js';
import { createRestaurant } from '../../src/modules/restaurants/service.js';
import { createUser } from '../../src/modules/users/service.js';
import type { Role } from '../../src/security/authz/permissions.js';
import type { TestApp } from './app.js';

/** A password that passes the staff policy; tests vary it with a suffix when they need more. */
export const STAFF_PASSWORD = 'Fogao-Lenha-Quintal-2048';

export interface SignedInUser {
  id: string;
  username: string;
  role: Role;
  restaurantId: RestaurantId;
  restaurantSlug: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** TOTP secret when the user enrolled (admins and managers, by default policy). */
  totpSecret: string | null;
  headers: { authorization: string };
}

let restaurantCounter = 0;

/** Adds a restaurant directly through the service. */
export async function seedRestaurant(t: TestApp, slug?: string): Promise<Restaurant> {
  restaurantCounter += 1;
  return createRestaurant(
    t.context,
    { slug: slug ?? `casa-${restaurantCounter}-${Date.now().toString(36)}`, name: 'Casa de Teste' },
    SYSTEM_ACTOR,
  );
}

/** Adds a user directly (no temporary password) and returns its id. */
export async function seedUser(
  t: TestApp,
  restaurant: Restaurant,
  role: Role,
  options: { username?: string; password?: string } = {},
): Promise<{ id: string; username: string; password: string }> {
  const username = options.username ?? `${role}${Math.random().toString(36).slice(2, 8)}`;
  const password = options.password ?? STAFF_PASSWORD;
  const user = await inTransaction(t.context.database, (tx) =>
    createUser(
      t.context,
      tx,
      restaurant,
      { username, displayName: `Test ${role}`, role, password },
      { actor: SYSTEM_ACTOR, temporaryPassword: false },
    ),
  );
  return { id: user.id, username, password };
}

/** Moves the clock to the next TOTP step so a fresh code is accepted (codes work once). */
export function nextTotp(t: TestApp, secret: string): string {
  t.clock.advance(30_000);
  return currentTotp(secret, t.clock.now().getTime());
}

/**
 * Creates a user and signs them in through the real API, enrolling TOTP when their role requires
 * it, so the returned token is a full access token.
 */
export async function signIn(
  t: TestApp,
  restaurant: Restaurant,
  role: Role,
  options: { username?: string; password?: string } = {},
): Promise<SignedInUser> {
  const seeded = await seedUser(t, restaurant, role, options);
  const login = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { restaurant: restaurant.slug, username: seeded.username, password: seeded.password },
  });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
  let { accessToken } = login.json<{ accessToken: string }>();
  const { refreshToken, mfaEnrolmentRequired } = login.json<{
    refreshToken: string;
    mfaEnrolmentRequired: boolean;
  }>();

  let totpSecret: string | null = null;
  if (mfaEnrolmentRequired) {
    const headers = { authorization: `Bearer ${accessToken}` };
    const setup = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/setup', headers });
    totpSecret = setup.json<{ secret: string }>().secret;
    const verify = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa/verify',
      headers,
      payload: { code: nextTotp(t, totpSecret) },
    });
    if (verify.statusCode !== 200) throw new Error(`mfa enrolment failed: ${verify.body}`);
    accessToken = verify.json<{ accessToken: string }>().accessToken;
  }

  return {
    id: seeded.id,
    username: seeded.username,
    role,
    restaurantId: restaurant.id,
    restaurantSlug: restaurant.slug,
    password: seeded.password,
    accessToken,
    refreshToken,
    totpSecret,
    headers: { authorization: `Bearer ${accessToken}` },
  };
}
