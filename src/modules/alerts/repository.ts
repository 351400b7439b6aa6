import type { Executor } from '../../infra/db/database.js';
import { TenantRepository, type RestaurantId } from '../../infra/db/tenant.js';

const PAGE_MAX = 101;

/** One restaurant's security alerts with the state of their webhook delivery. */
export class SecurityAlertsRepository extends TenantRepository {
  constructor(db: Executor, restaurantId: RestaurantId) {
    super(db, restaurantId);
  }

  /** Newest first by chain sequence number, before `beforeSeq` when paging. */
  async list(options: { limit: number; beforeSeq?: number }) {
    let query = this.db
      .selectFrom('security_alerts as a')
      .leftJoin('alert_outbox as o', 'o.alert_id', 'a.id')
      .select([
        'a.id',
        'a.audit_event_id',
        'a.seq',
        'a.event_type',
        'a.action',
        'a.outcome',
        'a.risk_score',
        'a.occurred_at',
        'a.created_at',
        'o.status as delivery_status',
        'o.attempts as delivery_attempts',
        'o.last_error as delivery_last_error',
        'o.delivered_at as delivered_at',
      ])
      .where('a.restaurant_id', '=', this.restaurantId)
      .orderBy('a.seq', 'desc')
      .limit(Math.min(options.limit, PAGE_MAX));
    if (options.beforeSeq !== undefined) query = query.where('a.seq', '<', options.beforeSeq);
    return query.execute();
  }
}
