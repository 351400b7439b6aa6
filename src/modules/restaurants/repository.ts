import type { Executor } from '../../infra/db/database.js';
import { PreparedQuery } from '../../infra/db/prepared-query.js';
import type { RestaurantsTable } from '../../infra/db/schema.js';
import { trustedRestaurantId, type RestaurantId } from '../../infra/db/tenant.js';

export interface Restaurant {
  id: RestaurantId;
  slug: string;
  name: string;
  timezone: string;
  currency: string;
  serviceFeeBasisPoints: number;
  pixKey: string | null;
  settings: Record<string, unknown>;
  createdAt: string;
}

/** Read by every order and payment. */
const RESTAURANT_BY_ID = new PreparedQuery<{ id: string }, RestaurantsTable>((db, value) =>
  db.selectFrom('restaurants').selectAll().where('id', '=', value('id')),
);

/** Restaurants are the tenants themselves, so this repository is the one not scoped by tenant. */
export class RestaurantsRepository {
  readonly #db: Executor;

  constructor(db: Executor) {
    this.#db = db;
  }

  async insert(row: RestaurantsTable): Promise<Restaurant> {
    await this.#db.insertInto('restaurants').values(row).execute();
    return toRestaurant(row);
  }

  async findBySlug(slug: string): Promise<Restaurant | null> {
    const row = await this.#db
      .selectFrom('restaurants')
      .selectAll()
      .where('slug', '=', slug)
      .executeTakeFirst();
    return row ? toRestaurant(row) : null;
  }

  async findById(id: string): Promise<Restaurant | null> {
    const row = await RESTAURANT_BY_ID.executeTakeFirst(this.#db, { id });
    return row ? toRestaurant(row) : null;
  }

  async count(): Promise<number> {
    const row = await this.#db
      .selectFrom('restaurants')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}

function toRestaurant(row: RestaurantsTable): Restaurant {
  return {
    id: trustedRestaurantId(row.id),
    slug: row.slug,
    name: row.name,
    timezone: row.timezone,
    currency: row.currency,
    serviceFeeBasisPoints: row.service_fee_basis_points,
    pixKey: row.pix_key,
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    createdAt: row.created_at,
  };
}
