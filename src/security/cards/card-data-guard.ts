import type { FastifyInstance } from 'fastify';

import type { AppContext } from '../../app/context.js';
import { AppError } from '../../core/errors.js';
import { inTransaction } from '../../infra/db/transaction.js';
import { actorOf, sourceOf } from '../authz/principal.js';
import { containsSensitiveCardData } from './sensitive-data.js';

/**
 * Refuses any request whose JSON body (or query) carries CVV/CVC, track data or a PIN, on every
 * route, before schema validation: a validation error would name the field, and a handler must
 * never see the value. The rejection is audited as a security alert without the value or the
 * field's name, and the answer is POS_ERR_SENSITIVE_CARD_DATA, which repeats nothing.
 *
 * Register it on the root instance before the routes so that every route inherits the hook.
 */
export function installCardDataGuard(app: FastifyInstance, context: AppContext): void {
  app.addHook('preValidation', async (request) => {
    const inBody = containsSensitiveCardData(request.body);
    if (!inBody && !containsSensitiveCardData(request.query)) return;

    // The body is dropped at once so that nothing later (an error serializer) can reach it.
    request.body = undefined;
    await inTransaction(context.database, (tx) =>
      context.audit.record(tx, {
        type: 'security_alert',
        action: 'card_data.rejected',
        outcome: 'denied',
        restaurantId: request.principal?.restaurantId ?? null,
        actor: actorOf(request.principal),
        source: sourceOf(request),
        resource: { type: 'route', id: `${request.method} ${request.routeOptions.url ?? ''}` },
        details: { location: inBody ? 'body' : 'query' },
        risk: { suspiciousPattern: true },
      }),
    );
    throw new AppError('POS_ERR_SENSITIVE_CARD_DATA');
  });
}
