import type { AppContext } from '../../app/context.js';
import { AppError } from '../../core/errors.js';
import {
  DEFAULT_CUSTOMER_POLICY,
  checkPassword,
  type PasswordPolicy,
} from '../../security/passwords/index.js';
import { trustedRestaurantId } from '../../infra/db/tenant.js';
import { RestaurantsRepository, type Restaurant } from '../restaurants/repository.js';
import { UsersRepository, type UserRow } from '../users/repository.js';

/** A password may not repeat any of the user's last four (SPEC 5.1). */
export const PASSWORD_HISTORY_DEPTH = 4;

interface PasswordOwner {
  username: string;
  display_name: string;
  role: string;
}

function policyFor(context: AppContext, role: string): PasswordPolicy {
  return role === 'customer' ? DEFAULT_CUSTOMER_POLICY : context.auth.staffPasswordPolicy;
}

/**
 * Throws `POS_ERR_PASSWORD_POLICY` listing every rule the password breaks at once, including
 * reuse of one of the last four. The password itself never appears in the error.
 */
export async function assertPasswordAcceptable(
  context: AppContext,
  password: string,
  owner: PasswordOwner,
  restaurant: Pick<Restaurant, 'name' | 'slug'>,
  previousHashes: readonly string[] = [],
): Promise<void> {
  const violations = checkPassword(password, policyFor(context, owner.role), {
    restaurantName: restaurant.name,
    restaurantSlug: restaurant.slug,
    username: owner.username,
    displayName: owner.display_name,
    role: owner.role,
  });
  const fields = violations.map((v) => ({ path: 'password', message: v.message }));

  for (const previous of previousHashes) {
    if ((await context.auth.hasher.verify(previous, password)).ok) {
      fields.push({ path: 'password', message: 'must differ from the last 4 passwords' });
      break;
    }
  }

  if (fields.length > 0) throw new AppError('POS_ERR_PASSWORD_POLICY', { fields });
}

/**
 * Checks a new password for `user` against the policy and the last four, then hashes it: all the
 * slow work of a password change (zxcvbn and up to five argon2 runs), done before the transaction
 * that stores the result so that no database connection waits on it.
 */
export async function hashAcceptablePassword(
  context: AppContext,
  user: UserRow,
  password: string,
): Promise<string> {
  const db = context.database.kysely;
  const restaurant = await new RestaurantsRepository(db).findById(
    trustedRestaurantId(user.restaurant_id),
  );
  if (!restaurant) throw new AppError('POS_ERR_NOT_FOUND');
  const history = await new UsersRepository(db, restaurant.id).recentPasswordHashes(
    user.id,
    PASSWORD_HISTORY_DEPTH,
  );
  await assertPasswordAcceptable(context, password, user, restaurant, history);
  return context.auth.hasher.hash(password);
}

/** Stores a new password hash and remembers it in the history. */
export async function storePasswordHash(
  context: AppContext,
  users: UsersRepository,
  userId: string,
  hash: string,
  mustChange: boolean,
): Promise<void> {
  const now = context.clock.now().toISOString();
  await users.update(userId, {
    password_hash: hash,
    password_changed_at: now,
    must_change_password: mustChange ? 1 : 0,
    updated_at: now,
  });
  await users.addPasswordHistory({ id: context.ids(), userId, hash, at: now });
}
