import type { Executor } from '../../infra/db/database.js';
import type { AuditEventsTable } from '../../infra/db/schema.js';
import { TenantRepository, type RestaurantId } from '../../infra/db/tenant.js';

export interface AuditEventFilter {
  eventType?: string;
  action?: string;
  actorId?: string;
  outcome?: string;
  /** Inclusive lower bound on `occurred_at` (ISO, UTC). */
  from?: string;
  /** Exclusive upper bound on `occurred_at` (ISO, UTC). */
  to?: string;
  minRisk?: number;
  /** Only entries older in the chain than this sequence number (the page cursor). */
  beforeSeq?: number;
  limit: number;
}

const PAGE_MAX = 101;

/** One restaurant's audit trail: its hash chain, read newest first. */
export class AuditEventsRepository extends TenantRepository {
  constructor(db: Executor, restaurantId: RestaurantId) {
    super(db, restaurantId);
  }

  async list(filter: AuditEventFilter): Promise<AuditEventsTable[]> {
    let query = this.db
      .selectFrom('audit_events')
      .selectAll()
      // A restaurant's chain id is its id; both filters keep the (chain_id, seq) index in use.
      .where('chain_id', '=', this.restaurantId)
      .where('restaurant_id', '=', this.restaurantId)
      .orderBy('seq', 'desc')
      .limit(Math.min(filter.limit, PAGE_MAX));
    if (filter.beforeSeq !== undefined) query = query.where('seq', '<', filter.beforeSeq);
    if (filter.eventType) query = query.where('event_type', '=', filter.eventType);
    if (filter.action) query = query.where('action', '=', filter.action);
    if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
    if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
    if (filter.from) query = query.where('occurred_at', '>=', filter.from);
    if (filter.to) query = query.where('occurred_at', '<', filter.to);
    if (filter.minRisk !== undefined) query = query.where('risk_score', '>=', filter.minRisk);
    return query.execute();
  }
}
