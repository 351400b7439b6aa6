import type { AppContext } from '../../app/context.js';
import type { App } from '../../http/app.js';
import { sourceOf } from '../../security/authz/principal.js';
import { toUserView } from '../users/service.js';
import { SetupBody } from './schemas.js';
import { completeSetup } from './setup.js';

/** First-run setup: the one-time secret printed at first start creates the first admin. */
export async function setupRoutes(app: App, context: AppContext): Promise<void> {
  app.post(
    '/api/v1/setup',
    { config: { access: { public: true }, rateClass: 'auth' }, schema: { body: SetupBody } },
    async (request, reply) => {
      const { restaurant, admin } = await completeSetup(context, request.body, sourceOf(request));
      return reply.code(201).send({
        restaurant: { id: restaurant.id, slug: restaurant.slug, name: restaurant.name },
        admin: toUserView(admin),
      });
    },
  );
}
