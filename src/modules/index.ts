import type { AppContext } from '../app/context.js';
import type { App } from '../http/app.js';
import { healthRoutes } from './health/routes.js';

/** Registers every feature's routes. API routes live under `/api/v1`. */
export async function registerModules(app: App, context: AppContext): Promise<void> {
  await healthRoutes(app, context);
}
