import type { AppContext } from '../../app/context.js';
import type { App } from '../../http/app.js';
import { principalOf, sourceOf } from '../../security/authz/principal.js';
import { AlertPage, ListAlertsQuery } from './schemas.js';
import { listAlerts } from './service.js';

/**
 * Security alerts of the caller's restaurant. `audit.read`, not `incident.manage`: an alert is a
 * view of an audit entry, and whoever may read the trail may read what it raised.
 */
export async function alertRoutes(app: App, context: AppContext): Promise<void> {
  app.get(
    '/api/v1/security/alerts',
    {
      config: { access: { permission: 'audit.read' } },
      schema: { querystring: ListAlertsQuery, response: { 200: AlertPage } },
    },
    async (request) => listAlerts(context, principalOf(request), request.query, sourceOf(request)),
  );
}
