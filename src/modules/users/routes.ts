import { Type } from '@sinclair/typebox';

import type { AppContext } from '../../app/context.js';
import type { App } from '../../http/app.js';
import { principalOf, sourceOf } from '../../security/authz/principal.js';
import { listSessions } from '../auth/sessions.js';
import {
  CreateUserBody,
  ListUsersQuery,
  ResetPasswordBody,
  UpdateUserBody,
  UserParams,
  UserView,
} from './schemas.js';
import {
  createUserAs,
  disableUser,
  getUser,
  listUsers,
  resetPassword,
  resetUserMfa,
  unlockUser,
  updateUser,
} from './service.js';

const manage = { access: { permission: 'user.manage' as const } };

/** Staff accounts of the caller's restaurant (`user.manage`). */
export async function userRoutes(app: App, context: AppContext): Promise<void> {
  app.get(
    '/api/v1/users',
    {
      config: manage,
      schema: {
        querystring: ListUsersQuery,
        response: {
          200: Type.Object({
            items: Type.Array(UserView),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const { limit = 50, cursor, role } = request.query;
      return listUsers(context, principalOf(request).restaurantId, {
        limit,
        ...(cursor ? { cursor } : {}),
        ...(role ? { role } : {}),
      });
    },
  );

  app.post(
    '/api/v1/users',
    { config: manage, schema: { body: CreateUserBody, response: { 201: UserView } } },
    async (request, reply) => {
      const { temporaryPassword, ...rest } = request.body;
      const user = await createUserAs(
        context,
        principalOf(request),
        { ...rest, password: temporaryPassword },
        sourceOf(request),
      );
      return reply.code(201).send(user);
    },
  );

  app.get(
    '/api/v1/users/:id',
    { config: manage, schema: { params: UserParams, response: { 200: UserView } } },
    async (request) => getUser(context, principalOf(request).restaurantId, request.params.id),
  );

  app.patch(
    '/api/v1/users/:id',
    {
      config: manage,
      schema: { params: UserParams, body: UpdateUserBody, response: { 200: UserView } },
    },
    async (request) =>
      updateUser(context, principalOf(request), request.params.id, request.body, sourceOf(request)),
  );

  app.post(
    '/api/v1/users/:id/disable',
    { config: manage, schema: { params: UserParams, response: { 200: UserView } } },
    async (request) =>
      disableUser(context, principalOf(request), request.params.id, sourceOf(request)),
  );

  app.post(
    '/api/v1/users/:id/unlock',
    { config: manage, schema: { params: UserParams, response: { 200: UserView } } },
    async (request) =>
      unlockUser(context, principalOf(request), request.params.id, sourceOf(request)),
  );

  app.post(
    '/api/v1/users/:id/reset-password',
    {
      config: manage,
      schema: { params: UserParams, body: ResetPasswordBody, response: { 200: UserView } },
    },
    async (request) =>
      resetPassword(
        context,
        principalOf(request),
        request.params.id,
        request.body.temporaryPassword,
        sourceOf(request),
      ),
  );

  app.post(
    '/api/v1/users/:id/reset-mfa',
    { config: manage, schema: { params: UserParams, response: { 200: UserView } } },
    async (request) =>
      resetUserMfa(context, principalOf(request), request.params.id, sourceOf(request)),
  );

  app.get(
    '/api/v1/users/:id/sessions',
    { config: manage, schema: { params: UserParams } },
    async (request) => {
      const principal = principalOf(request);
      await getUser(context, principal.restaurantId, request.params.id);
      const items = await listSessions(context, principal.restaurantId, request.params.id, null);
      return { items, nextCursor: null };
    },
  );
}
