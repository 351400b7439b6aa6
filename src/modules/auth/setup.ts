import type { AppContext } from '../../app/context.js';
import { SYSTEM_ACTOR } from '../../audit/events.js';
import { AppError } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { constantTimeEqual, hashToken, randomToken } from '../../security/crypto/index.js';
import { createRestaurant } from '../restaurants/service.js';
import { createUser, type NewUserInput } from '../users/service.js';

const SECRET_KEY = 'setup.secret_hash';
const EXPIRY_KEY = 'setup.secret_expires_at';

/** True until the first user of the deployment exists. */
export async function setupPending(db: Executor): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  return row === undefined;
}

/**
 * At a start with no user yet, makes a new one-time setup secret (192 bits), stores only its hash
 * with an expiry, and returns it for the operator's terminal. Returns null once setup is done.
 */
export async function issueSetupSecret(context: AppContext): Promise<string | null> {
  return inTransaction(context.database, async (tx) => {
    if (!(await setupPending(tx))) return null;
    const secret = randomToken(24);
    const now = context.clock.now();
    const expiresAt = new Date(now.getTime() + context.config.auth.setupSecretTtlMinutes * 60_000);
    await putState(tx, SECRET_KEY, hashToken(secret), now);
    await putState(tx, EXPIRY_KEY, expiresAt.toISOString(), now);
    return secret;
  });
}

export interface SetupInput {
  secret: string;
  restaurant: { slug: string; name: string; timezone?: string };
  admin: Omit<NewUserInput, 'role'>;
}

/**
 * Creates the first restaurant and its admin with the setup secret. The secret works once and
 * only before it expires; every refusal looks the same.
 */
export async function completeSetup(
  context: AppContext,
  input: SetupInput,
  source: { ip: string; requestId: string },
) {
  const unavailable = () => new AppError('POS_ERR_SETUP_UNAVAILABLE');
  return inTransaction(context.database, async (tx) => {
    const stored = await readState(tx, SECRET_KEY);
    const expiresAt = await readState(tx, EXPIRY_KEY);
    if (!stored || !expiresAt || !(await setupPending(tx))) throw unavailable();
    if (expiresAt <= context.clock.now().toISOString()) throw unavailable();
    if (!constantTimeEqual(hashToken(input.secret), stored)) throw unavailable();

    // Conditional, so of two concurrent setups with the right secret only one gets past here.
    const claimed = await tx
      .deleteFrom('system_state')
      .where('key', '=', SECRET_KEY)
      .where('value', '=', stored)
      .executeTakeFirst();
    if (Number(claimed.numDeletedRows) !== 1) throw unavailable();
    await tx.deleteFrom('system_state').where('key', '=', EXPIRY_KEY).execute();
    const restaurant = await createRestaurant(context, input.restaurant, SYSTEM_ACTOR, tx);
    const admin = await createUser(
      context,
      tx,
      restaurant,
      { ...input.admin, role: 'admin' },
      { actor: SYSTEM_ACTOR, source, temporaryPassword: false },
    );
    return { restaurant, admin };
  });
}

async function putState(tx: Executor, key: string, value: string, now: Date) {
  await tx
    .insertInto('system_state')
    .values({ key, value, updated_at: now.toISOString() })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now.toISOString() }))
    .execute();
}

async function readState(tx: Executor, key: string): Promise<string | null> {
  const row = await tx
    .selectFrom('system_state')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value ?? null;
}
