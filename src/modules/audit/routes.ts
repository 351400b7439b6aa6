import type { AppContext } from '../../app/context.js';
import type { App } from '../../http/app.js';
import { principalOf, sourceOf } from '../../security/authz/principal.js';
import { AuditEventPage, ChainVerificationView, ListAuditEventsQuery } from './schemas.js';
import { listAuditEvents, verifyAuditTrail } from './service.js';

const auditRead = { access: { permission: 'audit.read' as const } };

/** The caller's restaurant's audit trail (`audit.read`); every read is itself audited. */
export async function auditRoutes(app: App, context: AppContext): Promise<void> {
  app.get(
    '/api/v1/audit-events',
    {
      config: auditRead,
      schema: { querystring: ListAuditEventsQuery, response: { 200: AuditEventPage } },
    },
    async (request) =>
      listAuditEvents(context, principalOf(request), request.query, sourceOf(request)),
  );

  app.get(
    '/api/v1/audit-events/verify',
    { config: auditRead, schema: { response: { 200: ChainVerificationView } } },
    async (request) => verifyAuditTrail(context, principalOf(request), sourceOf(request)),
  );
}
