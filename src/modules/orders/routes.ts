import type { Static } from '@sinclair/typebox';

import type { AppContext } from '../../app/context.js';
import type { App } from '../../http/app.js';
import { principalOf, sourceOf } from '../../security/authz/principal.js';
import { kitchenEventBus } from '../kitchen/event-bus.js';
import { addItems, removeItem, sendOrder } from './items.js';
import {
  AddItemsBody,
  CancelOrderBody,
  CreateOrderBody,
  ListOrdersQuery,
  OrderItemParams,
  OrderPage,
  OrderParams,
  OrderView,
  RemoveItemBody,
  UpdateOrderBody,
} from './schemas.js';
import { cancelOrder, deleteOrder } from './lifecycle.js';
import { createOrder, getOrder, listOrders, updateOrder } from './service.js';
import { OrderViewCache } from './view-cache.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

type OrderViewBody = Static<typeof OrderView>;

const can = (
  permission: 'order.create' | 'order.read' | 'order.update' | 'order.cancel' | 'order.delete',
) => ({
  access: { permission },
});

/** Orders of the caller's restaurant: taking them, changing them, sending them to the kitchen. */
export async function orderRoutes(app: App, context: AppContext): Promise<void> {
  const bus = kitchenEventBus(context);
  const { changes } = context.database;
  const views = changes ? new OrderViewCache(changes) : null;

  app.get(
    '/api/v1/orders',
    {
      config: can('order.read'),
      schema: { querystring: ListOrdersQuery, response: { 200: OrderPage } },
    },
    async (request) => {
      const { limit = 50, ...filters } = request.query;
      return listOrders(context, principalOf(request), { limit, ...filters });
    },
  );

  app.post(
    '/api/v1/orders',
    {
      config: can('order.create'),
      schema: { body: CreateOrderBody, response: { 201: OrderView } },
    },
    async (request, reply) => {
      const order = await createOrder(
        context,
        principalOf(request),
        request.body,
        sourceOf(request),
      );
      return reply.code(201).send(order);
    },
  );

  app.get(
    '/api/v1/orders/:id',
    { config: can('order.read'), schema: { params: OrderParams, response: { 200: OrderView } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const load = () => getOrder(context, principal, request.params.id);
      if (!views) return load();

      // The route's own response serializer writes the body, so it is what `load()` would send;
      // for a JSON schema that is always a string.
      const body = await views.read(
        principal,
        request.params.id,
        load,
        (view) => reply.serialize(view) as string,
      );
      // A string with a JSON content type goes out as it is; the type provider only knows views.
      return reply.type(JSON_CONTENT_TYPE).send(body as unknown as OrderViewBody);
    },
  );

  app.patch(
    '/api/v1/orders/:id',
    {
      config: can('order.update'),
      schema: { params: OrderParams, body: UpdateOrderBody, response: { 200: OrderView } },
    },
    async (request) =>
      updateOrder(
        context,
        principalOf(request),
        request.params.id,
        request.body,
        sourceOf(request),
      ),
  );

  app.post(
    '/api/v1/orders/:id/items',
    {
      config: can('order.update'),
      schema: { params: OrderParams, body: AddItemsBody, response: { 201: OrderView } },
    },
    async (request, reply) => {
      const order = await addItems(
        context,
        principalOf(request),
        request.params.id,
        request.body.items,
        sourceOf(request),
      );
      return reply.code(201).send(order);
    },
  );

  app.delete(
    '/api/v1/orders/:id/items/:itemId',
    {
      config: can('order.update'),
      schema: { params: OrderItemParams, body: RemoveItemBody, response: { 200: OrderView } },
      // A DELETE usually has no body; an absent one is an empty one, still checked as closed.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      const { id, itemId } = request.params;
      const { reason, approvalToken } = request.body;
      return removeItem(
        context,
        bus,
        principalOf(request),
        { orderId: id, itemId },
        { ...(reason ? { reason } : {}), ...(approvalToken ? { approvalToken } : {}) },
        sourceOf(request),
      );
    },
  );

  app.post(
    '/api/v1/orders/:id/send',
    { config: can('order.update'), schema: { params: OrderParams, response: { 200: OrderView } } },
    async (request) =>
      sendOrder(context, bus, principalOf(request), request.params.id, sourceOf(request)),
  );

  app.post(
    '/api/v1/orders/:id/cancel',
    {
      config: can('order.cancel'),
      schema: { params: OrderParams, body: CancelOrderBody, response: { 200: OrderView } },
    },
    async (request) =>
      cancelOrder(
        context,
        bus,
        principalOf(request),
        request.params.id,
        request.body.reason,
        sourceOf(request),
      ),
  );

  app.delete(
    '/api/v1/orders/:id',
    { config: can('order.delete'), schema: { params: OrderParams } },
    async (request, reply) => {
      await deleteOrder(context, bus, principalOf(request), request.params.id, sourceOf(request));
      return reply.code(204).send();
    },
  );
}
