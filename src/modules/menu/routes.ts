import { Type } from '@sinclair/typebox';

import type { AppContext } from '../../app/context.js';
import type { App } from '../../http/app.js';
import { productImageName } from '../catalog/image-service.js';
import { productImageStore, sendImage } from '../catalog/image-routes.js';
import { Menu, MenuImageParams, MenuParams } from './schemas.js';
import { entityTag, matchesIfNoneMatch, publicMenu, restaurantBySlug } from './service.js';

/** Shared caches may keep the menu a minute; the ETag makes revalidation cheap after that. */
const MENU_CACHE_CONTROL = 'public, max-age=60';

const publicRead = { access: { public: true as const }, rateClass: 'default' as const };

/** The public menu of a restaurant, by slug (no sign-in). */
export async function menuRoutes(app: App, context: AppContext): Promise<void> {
  const store = productImageStore(context);

  app.get(
    '/api/v1/menu/:restaurantSlug',
    {
      config: publicRead,
      schema: { params: MenuParams, response: { 200: Menu, 304: Type.Null() } },
    },
    async (request, reply) => {
      const menu = await publicMenu(context, request.params.restaurantSlug);
      const etag = entityTag(menu);
      void reply.header('cache-control', MENU_CACHE_CONTROL).header('etag', etag);

      if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) {
        return reply.code(304).send(null);
      }
      return menu;
    },
  );

  app.get(
    '/api/v1/menu/:restaurantSlug/products/:id/image',
    { config: publicRead, schema: { params: MenuImageParams } },
    async (request, reply) => {
      const restaurant = await restaurantBySlug(context, request.params.restaurantSlug);
      const name = await productImageName(context, restaurant.id, request.params.id, {
        onMenuOnly: true,
      });
      // The stored name changes with every new image, so it is a faithful validator.
      const etag = `"${name}"`;
      void reply
        .header('cache-control', MENU_CACHE_CONTROL)
        .header('etag', etag)
        // A menu page on another origin may show the picture; nothing else is shared.
        .header('cross-origin-resource-policy', 'cross-origin');

      if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) {
        return reply.code(304).send();
      }
      return sendImage(reply, name, await store.read(name));
    },
  );
}
