import { LRUCache } from 'lru-cache';

import type { ChangeTracker } from '../../infra/db/change-tracker.js';
import type { TableName } from '../../infra/db/schema.js';
import type { Principal } from '../../security/authz/principal.js';
import { maySeeOrder } from './order-changes.js';
import type { OrderView } from './views.js';

/** Everything an order's view is built from. */
const VIEW_TABLES: readonly TableName[] = ['orders', 'order_items'];

/** Open orders of a busy restaurant and then some; a view is about a kilobyte. */
const CAPACITY = 2_000;

interface CachedView {
  version: number;
  customerId: string | null;
  body: string;
}

/**
 * Serialized views of recently read orders, for the embedded database, where terminals and the
 * kitchen re-read the same open orders far more often than anyone changes them. A view is
 * served only while no statement that could change an order or its items has run since it was
 * read (`ChangeTracker`), so no write path has to remember to invalidate anything. Entries are
 * keyed by restaurant and answer only the principals the database read would have answered.
 */
export class OrderViewCache {
  readonly #changes: ChangeTracker;
  readonly #views = new LRUCache<string, CachedView>({ max: CAPACITY });

  constructor(changes: ChangeTracker) {
    this.#changes = changes;
  }

  /**
   * The JSON body of `orderId` as `principal` sees it: from memory while it is current,
   * otherwise from `load` (which refuses what `principal` may not see) through `serialize`.
   */
  async read(
    principal: Principal,
    orderId: string,
    load: () => Promise<OrderView>,
    serialize: (view: OrderView) => string,
  ): Promise<string> {
    const key = `${principal.restaurantId}/${orderId}`;
    const version = this.#changes.versionOf(VIEW_TABLES);
    const cached = this.#views.get(key);
    if (cached?.version === version && maySeeOrder(principal, cached.customerId)) {
      return cached.body;
    }

    const view = await load();
    const body = serialize(view);
    // A write counted while the rows were read may have torn them: keep nothing then.
    if (this.#changes.versionOf(VIEW_TABLES) === version) {
      this.#views.set(key, { version, customerId: view.customerId, body });
    }
    return body;
  }
}
