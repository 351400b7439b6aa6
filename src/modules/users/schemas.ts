import { Type, type Static } from '@sinclair/typebox';

import { ROLES } from '../../security/authz/permissions.js';

const closed = { additionalProperties: false } as const;
const RoleSchema = Type.Union(ROLES.map((role) => Type.Literal(role)));
const Password = Type.String({ minLength: 1, maxLength: 128 });

export const UserView = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  role: RoleSchema,
  status: Type.Union([Type.Literal('active'), Type.Literal('locked'), Type.Literal('disabled')]),
  mustChangePassword: Type.Boolean(),
  mfaEnabled: Type.Boolean(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const CreateUserBody = Type.Object(
  {
    username: Type.String({ minLength: 3, maxLength: 32 }),
    displayName: Type.String({ minLength: 1, maxLength: 80 }),
    role: RoleSchema,
    temporaryPassword: Password,
  },
  closed,
);
export type CreateUserBody = Static<typeof CreateUserBody>;

/** Only these fields can change; status, restaurant and password have their own actions. */
export const UpdateUserBody = Type.Object(
  {
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
    role: Type.Optional(RoleSchema),
  },
  { ...closed, minProperties: 1 },
);
export type UpdateUserBody = Static<typeof UpdateUserBody>;

export const ResetPasswordBody = Type.Object({ temporaryPassword: Password }, closed);

export const UserParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const ListUsersQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 64 })),
    role: Type.Optional(RoleSchema),
  },
  closed,
);
