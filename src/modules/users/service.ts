import type { AppContext } from '../../app/context.js';
import type { AuditActor } from '../../audit/events.js';
import { AppError, conflict, notFound, validationError } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import type { RestaurantId } from '../../infra/db/tenant.js';
import { isRole, type Role } from '../../security/authz/permissions.js';
import { actorOf, type Principal, type RequestSource } from '../../security/authz/principal.js';
import {
  assertPasswordAcceptable,
  hashAcceptablePassword,
  storePasswordHash,
} from '../auth/passwords.js';
import { clearSecondFactor } from '../auth/mfa.js';
import { revokeUserSessions } from '../auth/sessions.js';
import { RestaurantsRepository, type Restaurant } from '../restaurants/repository.js';
import { UsersRepository, type UserRow } from './repository.js';

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,31}$/;

/** Usernames are stored in lower case; people type them in any case, with stray spaces. */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

export interface NewUserInput {
  username: string;
  displayName: string;
  role: Role;
  password: string;
}

/** A user as the API shows it: never the hash, the MFA secret or lockout internals. */
export interface UserView {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  status: 'active' | 'locked' | 'disabled';
  mustChangePassword: boolean;
  mfaEnabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export function toUserView(user: UserRow): UserView {
  return {
    id: user.id,
    username: user.username,
    displayName: user.display_name,
    role: isRole(user.role) ? user.role : 'customer',
    status: user.status,
    mustChangePassword: user.must_change_password === 1,
    mfaEnabled: user.mfa_enabled === 1,
    createdAt: user.created_at,
    updatedAt: user.updated_at,
  };
}

/**
 * Adds a user to a restaurant. The password must pass the policy; an admin-created user gets it
 * as a temporary password to change at first login.
 */
export async function createUser(
  context: AppContext,
  tx: Executor,
  restaurant: Restaurant,
  input: NewUserInput,
  options: { actor: AuditActor; source?: RequestSource; temporaryPassword: boolean },
): Promise<UserRow> {
  const username = normalizeUsername(input.username);
  const displayName = input.displayName.trim();
  if (!USERNAME_PATTERN.test(username)) {
    throw validationError([{ path: 'username', message: 'must be 3-32 of a-z, 0-9, . _ -' }]);
  }
  if (displayName.length < 1 || displayName.length > 80) {
    throw validationError([{ path: 'displayName', message: 'must be 1-80 characters' }]);
  }

  const owner = { username, display_name: displayName, role: input.role };
  await assertPasswordAcceptable(context, input.password, owner, restaurant);

  const users = new UsersRepository(tx, restaurant.id);
  if (await users.findByUsername(username)) throw conflict('The username is taken.');

  const now = context.clock.now().toISOString();
  const user = await users.insert({
    id: context.ids(),
    username,
    display_name: displayName,
    role: input.role,
    password_hash: await context.auth.hasher.hash(input.password),
    password_changed_at: now,
    must_change_password: options.temporaryPassword ? 1 : 0,
    status: 'active',
    failed_login_count: 0,
    locked_until: null,
    mfa_secret: null,
    mfa_enabled: 0,
    mfa_last_step: null,
    customer_id: null,
    created_at: now,
    updated_at: now,
  });
  await users.addPasswordHistory({
    id: context.ids(),
    userId: user.id,
    hash: user.password_hash,
    at: now,
  });

  await context.audit.record(tx, {
    type: 'object_created',
    action: 'user.create',
    outcome: 'success',
    restaurantId: restaurant.id,
    actor: options.actor,
    source: options.source,
    resource: { type: 'user', id: user.id },
    details: { role: input.role },
  });
  return user;
}

/** Creates a user from the API (`user.manage`) with a temporary password. */
export async function createUserAs(
  context: AppContext,
  principal: Principal,
  input: NewUserInput,
  source: RequestSource,
): Promise<UserView> {
  return inTransaction(context.database, async (tx) => {
    const restaurant = await requireRestaurant(tx, principal.restaurantId);
    const user = await createUser(context, tx, restaurant, input, {
      actor: actorOf(principal),
      source,
      temporaryPassword: true,
    });
    return toUserView(user);
  });
}

export async function getUser(
  context: AppContext,
  restaurantId: RestaurantId,
  userId: string,
): Promise<UserView> {
  const user = await new UsersRepository(context.database.kysely, restaurantId).findById(userId);
  if (!user) throw notFound();
  return toUserView(user);
}

export async function listUsers(
  context: AppContext,
  restaurantId: RestaurantId,
  options: { limit: number; cursor?: string; role?: Role },
): Promise<{ items: UserView[]; nextCursor: string | null }> {
  const rows = await new UsersRepository(context.database.kysely, restaurantId).list({
    limit: options.limit + 1,
    ...(options.cursor ? { after: options.cursor } : {}),
    ...(options.role ? { role: options.role } : {}),
  });
  const page = rows.slice(0, options.limit);
  const next = rows.length > options.limit ? (page.at(-1)?.username ?? null) : null;
  return { items: page.map(toUserView), nextCursor: next };
}

export interface UserChangeInput {
  displayName?: string;
  role?: Role;
}

/**
 * Changes what a user-manager may change: the display name and, explicitly, the role. A role
 * change ends the user's sessions so the new role applies at once; the last admin keeps theirs.
 */
export async function updateUser(
  context: AppContext,
  principal: Principal,
  userId: string,
  input: UserChangeInput,
  source: RequestSource,
): Promise<UserView> {
  return changeUser(context, principal, userId, async (tx, users, user) => {
    const changes: { display_name?: string; role?: Role } = {};
    if (input.displayName !== undefined) {
      const displayName = input.displayName.trim();
      if (displayName.length < 1 || displayName.length > 80) {
        throw validationError([{ path: 'displayName', message: 'must be 1-80 characters' }]);
      }
      changes.display_name = displayName;
    }
    if (input.role !== undefined && input.role !== user.role) {
      if (user.role === 'admin') await assertNotLastAdmin(context, users);
      changes.role = input.role;
    }

    const now = context.clock.now().toISOString();
    await users.update(user.id, { ...changes, updated_at: now });
    if (changes.role) await revokeUserSessions(context, tx, user.id, 'role_change');
    await context.audit.record(tx, {
      type: 'data_modification',
      action: changes.role ? 'user.role_change' : 'user.update',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'user', id: user.id },
      details: { ...(changes.role ? { fromRole: user.role, toRole: changes.role } : {}) },
    });
    return toUserView({ ...user, ...changes, updated_at: now });
  });
}

/** Disables a user: every session ends at once, in every process. */
export async function disableUser(
  context: AppContext,
  principal: Principal,
  userId: string,
  source: RequestSource,
): Promise<UserView> {
  return changeUser(context, principal, userId, async (tx, users, user) => {
    if (user.role === 'admin' && user.status !== 'disabled')
      await assertNotLastAdmin(context, users);

    const now = context.clock.now().toISOString();
    await users.update(user.id, { status: 'disabled', updated_at: now });
    const revoked = await revokeUserSessions(context, tx, user.id, 'disabled');
    await context.audit.record(tx, {
      type: 'data_modification',
      action: 'user.disable',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'user', id: user.id },
      details: { sessionsRevoked: revoked },
    });
    return toUserView({ ...user, status: 'disabled', updated_at: now });
  });
}

/** Unlocks a locked (or re-enables a disabled) account and clears its failure count. */
export async function unlockUser(
  context: AppContext,
  principal: Principal,
  userId: string,
  source: RequestSource,
): Promise<UserView> {
  return changeUser(context, principal, userId, async (tx, users, user) => {
    const now = context.clock.now().toISOString();
    await users.update(user.id, {
      status: 'active',
      failed_login_count: 0,
      locked_until: null,
      updated_at: now,
    });
    await context.audit.record(tx, {
      type: 'data_modification',
      action: 'user.unlock',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'user', id: user.id },
      details: { previousStatus: user.status },
    });
    return toUserView({ ...user, status: 'active', failed_login_count: 0, updated_at: now });
  });
}

/** Sets a temporary password the user must change, and ends their sessions. */
export async function resetPassword(
  context: AppContext,
  principal: Principal,
  userId: string,
  temporaryPassword: string,
  source: RequestSource,
): Promise<UserView> {
  const user = await new UsersRepository(context.database.kysely, principal.restaurantId).findById(
    userId,
  );
  if (!user) throw notFound();
  // Policy, history and hashing are slow; they run before the transaction holds a connection.
  const hash = await hashAcceptablePassword(context, user, temporaryPassword);

  return inTransaction(context.database, async (tx) => {
    const users = new UsersRepository(tx, principal.restaurantId);
    await storePasswordHash(context, users, user.id, hash, true);
    await revokeUserSessions(context, tx, user.id, 'password_reset');
    await context.audit.record(tx, {
      type: 'password_change',
      action: 'user.reset_password',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'user', id: user.id },
    });
    const refreshed = await users.findById(user.id);
    if (!refreshed) throw notFound();
    return toUserView(refreshed);
  });
}

/**
 * Removes a user's second factor when they lost it (`user.manage`): the secret and recovery codes
 * are deleted and every session ends, so an admin or manager gets an enrolment-only token at
 * their next login. A configuration change of the account, with the admin as actor.
 */
export async function resetUserMfa(
  context: AppContext,
  principal: Principal,
  userId: string,
  source: RequestSource,
): Promise<UserView> {
  return changeUser(context, principal, userId, async (tx, users, user) => {
    const cleared = await clearSecondFactor(context, tx, users, user.id);
    const revoked = await revokeUserSessions(context, tx, user.id, 'mfa_reset');
    await context.audit.record(tx, {
      type: 'configuration_change',
      action: 'auth.mfa.reset',
      outcome: 'success',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource: { type: 'user', id: user.id },
      details: { wasEnrolled: user.mfa_enabled === 1, sessionsRevoked: revoked },
    });
    return toUserView({ ...user, ...cleared });
  });
}

/**
 * Runs `change` on one user of the caller's restaurant inside one transaction; another
 * restaurant's user, or an id that names none, answers 404.
 */
async function changeUser<T>(
  context: AppContext,
  principal: Principal,
  userId: string,
  change: (tx: Executor, users: UsersRepository, user: UserRow) => Promise<T>,
): Promise<T> {
  return inTransaction(context.database, async (tx) => {
    const users = new UsersRepository(tx, principal.restaurantId);
    const user = await users.findById(userId);
    if (!user) throw notFound();
    return change(tx, users, user);
  });
}

async function assertNotLastAdmin(context: AppContext, users: UsersRepository): Promise<void> {
  const admins = await users.countActiveAdmins(context.database.dialect === 'postgres');
  if (admins <= 1) throw new AppError('POS_ERR_LAST_ADMIN');
}

export async function requireRestaurant(tx: Executor, id: RestaurantId): Promise<Restaurant> {
  const restaurant = await new RestaurantsRepository(tx).findById(id);
  if (!restaurant) throw notFound();
  return restaurant;
}
