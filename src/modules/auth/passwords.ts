import type { AppContext } from '../../app/context.js';
import { AppError } from '../../core/errors.js';
import {
  DEFAULT_CUSTOMER_POLICY,
  checkPassword,
  type PasswordPolicy,
} from '../../security/passwords/index.js';
import type { Restaurant } from '../restaurants/repository.js';
import type { UserRow, UsersRepository } from '../users/repository.js';

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

/** Stores a new password hash and remembers it in the history. */
export async function storePassword(
  context: AppContext,
  users: UsersRepository,
  user: UserRow,
  password: string,
  mustChange: boolean,
): Promise<void> {
  const hash = await context.auth.hasher.hash(password);
  const now = context.clock.now().toISOString();
  await users.update(user.id, {
    password_hash: hash,
    password_changed_at: now,
    must_change_password: mustChange ? 1 : 0,
    updated_at: now,
  });
  await users.addPasswordHistory({ id: context.ids(), userId: user.id, hash, at: now });
}
