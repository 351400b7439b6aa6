import type { AppContext } from '../../app/context.js';
import type { App } from '../../http/app.js';
import { principalOf, sourceOf } from '../../security/authz/principal.js';
import { assertStaffReader } from './access.js';
import { productImageRoutes } from './image-routes.js';
import {
  CategoryPage,
  CategoryView,
  CreateCategoryBody,
  CreateProductBody,
  ListCategoriesQuery,
  ListProductsQuery,
  ProductPage,
  ProductParams,
  ProductView,
  UpdateProductBody,
} from './schemas.js';
import {
  createCategory,
  createProduct,
  deleteProduct,
  getProduct,
  listCategories,
  listProducts,
  updateProduct,
} from './service.js';

/** Any signed-in staff principal; customer logins are refused by `assertStaffReader`. */
const staffRead = { access: { authenticated: true as const } };

/** Categories and products of the caller's restaurant (SPEC 3 and 4). */
export async function catalogRoutes(app: App, context: AppContext): Promise<void> {
  app.get(
    '/api/v1/categories',
    {
      config: staffRead,
      schema: { querystring: ListCategoriesQuery, response: { 200: CategoryPage } },
    },
    async (request) => {
      const principal = principalOf(request);
      await assertStaffReader(context, principal, sourceOf(request), 'GET /api/v1/categories');

      const { limit = 50, cursor } = request.query;
      return listCategories(context, principal.restaurantId, {
        limit,
        ...(cursor ? { cursor } : {}),
      });
    },
  );

  app.post(
    '/api/v1/categories',
    {
      config: { access: { permission: 'product.create' } },
      schema: { body: CreateCategoryBody, response: { 201: CategoryView } },
    },
    async (request, reply) => {
      const category = await createCategory(
        context,
        principalOf(request),
        request.body,
        sourceOf(request),
      );

      return reply.code(201).send(category);
    },
  );

  app.get(
    '/api/v1/products',
    {
      config: staffRead,
      schema: { querystring: ListProductsQuery, response: { 200: ProductPage } },
    },
    async (request) => {
      const principal = principalOf(request);
      await assertStaffReader(context, principal, sourceOf(request), 'GET /api/v1/products');

      const { limit = 50, ...filters } = request.query;
      return listProducts(context, principal, { limit, ...filters });
    },
  );

  app.post(
    '/api/v1/products',
    {
      config: { access: { permission: 'product.create' } },
      schema: { body: CreateProductBody, response: { 201: ProductView } },
    },
    async (request, reply) => {
      const product = await createProduct(
        context,
        principalOf(request),
        request.body,
        sourceOf(request),
      );

      return reply.code(201).send(product);
    },
  );

  app.get(
    '/api/v1/products/:id',
    { config: staffRead, schema: { params: ProductParams, response: { 200: ProductView } } },
    async (request) => {
      const principal = principalOf(request);
      await assertStaffReader(context, principal, sourceOf(request), 'GET /api/v1/products/:id');

      return getProduct(context, principal, request.params.id);
    },
  );

  app.patch(
    '/api/v1/products/:id',
    {
      config: { access: { permission: 'product.update' } },
      schema: { params: ProductParams, body: UpdateProductBody, response: { 200: ProductView } },
    },
    async (request) =>
      updateProduct(
        context,
        principalOf(request),
        request.params.id,
        request.body,
        sourceOf(request),
      ),
  );

  app.delete(
    '/api/v1/products/:id',
    { config: { access: { permission: 'product.delete' } }, schema: { params: ProductParams } },
    async (request, reply) => {
      await deleteProduct(context, principalOf(request), request.params.id, sourceOf(request));

      return reply.code(204).send();
    },
  );

  await productImageRoutes(app, context);
}
