import { Type, type Static } from '@sinclair/typebox';

import { APPROVAL_ACTIONS } from './approvals.js';

const closed = { additionalProperties: false } as const;

/** Passwords are taken exactly as typed, up to 128 characters (SPEC 5.1). */
export const Password = Type.String({ minLength: 1, maxLength: 128 });
const Slug = Type.String({ minLength: 1, maxLength: 48 });
const Username = Type.String({ minLength: 1, maxLength: 64 });
const TotpCode = Type.String({ pattern: '^[0-9]{6}$' });

export const LoginBody = Type.Object(
  {
    restaurant: Slug,
    username: Username,
    password: Password,
    totp: Type.Optional(TotpCode),
    recoveryCode: Type.Optional(Type.String({ minLength: 10, maxLength: 16 })),
    /** Web clients ask for the refresh token in a `__Host-` cookie instead of the body. */
    refreshTokenInCookie: Type.Optional(Type.Boolean()),
  },
  closed,
);
export type LoginBody = Static<typeof LoginBody>;

export const TokenResponse = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer(),
  refreshToken: Type.Optional(Type.String()),
  refreshExpiresAt: Type.String(),
  mfaEnrolmentRequired: Type.Boolean(),
  passwordChangeRequired: Type.Boolean(),
});

export const RefreshBody = Type.Object(
  {
    refreshToken: Type.Optional(Type.String({ minLength: 20, maxLength: 128 })),
    refreshTokenInCookie: Type.Optional(Type.Boolean()),
  },
  closed,
);
export type RefreshBody = Static<typeof RefreshBody>;

export const PasswordChangeBody = Type.Object(
  { currentPassword: Password, newPassword: Password },
  closed,
);
export type PasswordChangeBody = Static<typeof PasswordChangeBody>;

export const MfaVerifyBody = Type.Object({ code: TotpCode }, closed);
export type MfaVerifyBody = Static<typeof MfaVerifyBody>;

export const ApprovalBody = Type.Object(
  {
    username: Username,
    password: Password,
    totp: Type.Optional(TotpCode),
    action: Type.Union(APPROVAL_ACTIONS.map((action) => Type.Literal(action))),
    resourceId: Type.String({ minLength: 1, maxLength: 64 }),
    amountCents: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
  },
  closed,
);
export type ApprovalBody = Static<typeof ApprovalBody>;

export const SessionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const SetupBody = Type.Object(
  {
    secret: Type.String({ minLength: 16, maxLength: 128 }),
    restaurant: Type.Object(
      {
        slug: Slug,
        name: Type.String({ minLength: 1, maxLength: 120 }),
        timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      },
      closed,
    ),
    admin: Type.Object(
      {
        username: Username,
        displayName: Type.String({ minLength: 1, maxLength: 80 }),
        password: Password,
      },
      closed,
    ),
  },
  closed,
);
export type SetupBody = Static<typeof SetupBody>;
