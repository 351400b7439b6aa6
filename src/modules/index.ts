import type { AppContext } from '../app/context.js';
import type { App } from '../http/app.js';
import { installKeyRingRefresh } from '../security/keys/key-ring-refresh.js';
import { alertRoutes } from './alerts/routes.js';
import { apiKeyRoutes } from './api-keys/routes.js';
import { auditRoutes } from './audit/routes.js';
import { authRoutes } from './auth/routes.js';
import { setupRoutes } from './auth/setup-routes.js';
import { cashierRoutes } from './cashier/routes.js';
import { catalogRoutes } from './catalog/routes.js';
import { customerRoutes } from './customers/routes.js';
import { healthRoutes } from './health/routes.js';
import { kitchenRoutes } from './kitchen/routes.js';
import { menuRoutes } from './menu/routes.js';
import { orderRoutes } from './orders/routes.js';
import { paymentRoutes } from './payments/routes.js';
import { securityRoutes } from './security/routes.js';
import { userRoutes } from './users/routes.js';

/** Registers every feature's routes. API routes live under `/api/v1`. */
export async function registerModules(app: App, context: AppContext): Promise<void> {
  await healthRoutes(app, context);
  await setupRoutes(app, context);
  await authRoutes(app, context);
  await userRoutes(app, context);
  await auditRoutes(app, context);
  await alertRoutes(app, context);
  await catalogRoutes(app, context);
  await menuRoutes(app, context);
  await customerRoutes(app, context);
  await orderRoutes(app, context);
  await kitchenRoutes(app, context);
  await cashierRoutes(app, context);
  await paymentRoutes(app, context);
  await apiKeyRoutes(app, context);
  await securityRoutes(app, context);
  installKeyRingRefresh(app, context);
}
