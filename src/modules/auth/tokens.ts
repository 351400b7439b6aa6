import type { AppContext } from '../../app/context.js';
import { isRole } from '../../security/authz/permissions.js';
import type { UserRow } from '../users/repository.js';
import type { IssuedSession } from './sessions.js';

/** What a successful login or refresh answers. */
export interface SessionTokens {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: string;
  /** The token only allows MFA enrolment until the user enrols. */
  mfaEnrolmentRequired: boolean;
  /** The token only allows a password change until the user changes it. */
  passwordChangeRequired: boolean;
}

/** Issues the access token for a session, restricted when enrolment or a password change is due. */
export async function issueSessionTokens(
  context: AppContext,
  user: UserRow,
  session: Pick<IssuedSession, 'sessionId' | 'refreshToken' | 'expiresAt'>,
  enrolmentPending: boolean,
): Promise<SessionTokens> {
  if (!isRole(user.role)) throw new Error('Stored user has an unknown role.');
  const { token, claims } = await context.auth.tokens.issue({
    type: enrolmentPending ? 'mfa_enrolment' : 'access',
    userId: user.id,
    restaurantId: user.restaurant_id,
    role: user.role,
    sessionId: session.sessionId,
    mustChangePassword: user.must_change_password === 1,
    customerId: user.customer_id,
  });
  return {
    accessToken: token,
    tokenType: 'Bearer',
    expiresIn: claims.exp - claims.iat,
    refreshToken: session.refreshToken,
    refreshExpiresAt: session.expiresAt,
    mfaEnrolmentRequired: enrolmentPending,
    passwordChangeRequired: user.must_change_password === 1,
  };
}

/** True when this user's role must use a second factor and they have not enrolled one yet. */
export function enrolmentPending(context: AppContext, user: UserRow): boolean {
  return (
    isRole(user.role) &&
    context.config.auth.mfaRequiredRoles.includes(user.role) &&
    !user.mfa_enabled
  );
}
