import type { AppContext } from '../app/context.js';
import { inTransaction } from '../infra/db/transaction.js';
import { SYSTEM_ACTOR } from './events.js';

/**
 * Records a server starting or stopping on the system chain (PCI DSS 10.2.1.6: initialization
 * and stopping of the audit logs), so a gap in the trail shows whether the server was down.
 * A failure to record the stop is logged, never thrown: shutting down must still complete.
 */
export async function recordServerLifecycle(
  context: AppContext,
  phase: 'start' | 'stop',
): Promise<void> {
  try {
    await inTransaction(context.database, (tx) =>
      context.audit.record(tx, {
        type: 'configuration_change',
        action: phase === 'start' ? 'system.start' : 'system.stop',
        outcome: 'success',
        restaurantId: null,
        actor: SYSTEM_ACTOR,
        resource: { type: 'server', id: null },
      }),
    );
  } catch (error) {
    if (phase === 'start') throw error;
    context.logger.error({ err: error }, 'could not record the server stop in the audit trail');
  }
}
