import type { AppContext } from '../../app/context.js';
import type { AuditActor } from '../../audit/events.js';
import { AppError, conflict, validationError } from '../../core/errors.js';
import type { Executor } from '../../infra/db/database.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { RestaurantsRepository, type Restaurant } from './repository.js';

// Bounded repetition over a fixed-length input; no nested quantifiers.
// eslint-disable-next-line security/detect-unsafe-regex
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;

export interface CreateRestaurantInput {
  slug: string;
  name: string;
  timezone?: string;
}

/** Adds a restaurant (tenant). Used by `chefia restaurant create` and the first-run setup. */
export async function createRestaurant(
  context: AppContext,
  input: CreateRestaurantInput,
  actor: AuditActor,
  within?: Executor,
): Promise<Restaurant> {
  const name = input.name.trim();
  const timezone = input.timezone ?? 'America/Sao_Paulo';
  checkRestaurantInput(input.slug, name, timezone);

  const run = within
    ? <T>(work: (tx: Executor) => Promise<T>) => work(within)
    : <T>(work: (tx: Executor) => Promise<T>) => inTransaction(context.database, work);
  return run(async (tx) => {
    const restaurants = new RestaurantsRepository(tx);
    if (await restaurants.findBySlug(input.slug)) {
      throw conflict('A restaurant with this slug already exists.');
    }

    const now = context.clock.now().toISOString();
    const restaurant = await restaurants.insert({
      id: context.ids(),
      slug: input.slug,
      name,
      timezone,
      currency: 'BRL',
      service_fee_basis_points: 0,
      pix_key: null,
      settings: '{}',
      created_at: now,
      updated_at: now,
    });

    await context.audit.record(tx, {
      type: 'object_created',
      action: 'restaurant.create',
      outcome: 'success',
      restaurantId: restaurant.id,
      actor,
      resource: { type: 'restaurant', id: restaurant.id },
      details: { slug: restaurant.slug },
    });
    return restaurant;
  });
}

function checkRestaurantInput(slug: string, name: string, timezone: string): void {
  if (!SLUG_PATTERN.test(slug)) {
    throw validationError([
      { path: 'slug', message: 'must be 1-48 lowercase letters, digits or inner hyphens' },
    ]);
  }

  if (name.length < 1 || name.length > 120) {
    throw validationError([{ path: 'name', message: 'must be 1-120 characters' }]);
  }

  if (!isKnownTimezone(timezone)) {
    throw new AppError('POS_ERR_VALIDATION', {
      fields: [{ path: 'timezone', message: 'must be an IANA time zone' }],
    });
  }
}

function isKnownTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}
