import type { AppContext } from '../../app/context.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { actorOf, type Principal, type RequestSource } from './principal.js';

/**
 * Records a refused access as a `permission_denied` event in its own transaction: the request
 * that was refused writes nothing else, so the denial is the only trace it leaves. Route-level
 * checks and object rules (a customer login outside its own records, a reveal without
 * `customer.manage`) record through here so every denial reads the same in the audit trail.
 */
export async function recordDenial(
  context: AppContext,
  principal: Principal,
  source: RequestSource,
  resource: { type: string; id: string },
  permission: string,
): Promise<void> {
  await inTransaction(context.database, (tx) =>
    context.audit.record(tx, {
      type: 'permission_denied',
      action: 'authz.deny',
      outcome: 'denied',
      restaurantId: principal.restaurantId,
      actor: actorOf(principal),
      source,
      resource,
      details: { permission },
    }),
  );
}
