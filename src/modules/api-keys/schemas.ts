import { Type, type Static } from '@sinclair/typebox';

import { PERMISSIONS } from '../../security/authz/permissions.js';
import { RATE_CLASSES } from '../../security/rate-limit/limits.js';

const closed = { additionalProperties: false } as const;

const PermissionSchema = Type.Union(PERMISSIONS.map((permission) => Type.Literal(permission)));
const RateClassSchema = Type.Union(RATE_CLASSES.map((rateClass) => Type.Literal(rateClass)));

export const ApiKeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  /** `sk_` and the first characters of the key, to tell keys apart; never enough to use one. */
  keyPrefix: Type.String(),
  scopes: Type.Array(PermissionSchema),
  rateClass: RateClassSchema,
  active: Type.Boolean(),
  expiresAt: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});
export type ApiKeyView = Static<typeof ApiKeyView>;

/** The creation answer: the view plus the key itself, shown this once and never again. */
export const CreatedApiKey = Type.Composite([ApiKeyView, Type.Object({ key: Type.String() })]);

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 80 }),
    /** Permissions the key holds; each must be one its creator holds. */
    scopes: Type.Array(PermissionSchema, {
      minItems: 1,
      maxItems: PERMISSIONS.length,
      uniqueItems: true,
    }),
    rateClass: Type.Optional(RateClassSchema),
    /** At most a year ahead; 90 days when left out. */
    expiresAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  },
  closed,
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

export const ApiKeyParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  closed,
);

export const ListApiKeysQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  closed,
);

export const ApiKeyPage = Type.Object({
  items: Type.Array(ApiKeyView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
