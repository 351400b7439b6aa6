import type { FastifyReply, FastifyRequest } from 'fastify';

import type { AppContext } from '../../app/context.js';
import { AppError } from '../../core/errors.js';
import type { App } from '../../http/app.js';
import { principalOf, sourceOf } from '../../security/authz/principal.js';
import type { AccessClaims } from '../../security/tokens/access-tokens.js';
import { toUserView } from '../users/service.js';
import { changeOwnPassword, logout, me, refreshSession } from './account.js';
import { grantApproval } from './approvals.js';
import { login } from './login.js';
import { confirmEnrolment, startEnrolment } from './mfa.js';
import {
  ApprovalBody,
  LoginBody,
  MfaVerifyBody,
  PasswordChangeBody,
  RefreshBody,
  SessionParams,
  TokenResponse,
} from './schemas.js';
import { listSessions, revokeOwnedSession } from './sessions.js';
import type { SessionTokens } from './tokens.js';

/** The refresh cookie: `__Host-` pins it to this host, HTTPS and path `/`. */
export const REFRESH_COOKIE = '__Host-chefia_refresh';

/** Open to restricted tokens too: enrolling and changing the password are how they get lifted. */
const openToRestrictedTokens = {
  authenticated: true,
  allowPendingEnrolment: true,
  allowPasswordChange: true,
} as const;

export async function authRoutes(app: App, context: AppContext): Promise<void> {
  const allowedOrigins = new Set(context.config.http.corsOrigins);

  app.post(
    '/api/v1/auth/login',
    {
      config: { access: { public: true }, rateClass: 'auth' },
      schema: { body: LoginBody, response: { 200: TokenResponse } },
    },
    async (request, reply) => {
      const body = request.body;
      const tokens = await login(context, body, {
        ...sourceOf(request),
        userAgent: request.headers['user-agent'],
      });
      return sendTokens(reply, tokens, body.refreshTokenInCookie === true);
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      config: { access: { public: true }, rateClass: 'auth' },
      schema: { body: RefreshBody, response: { 200: TokenResponse } },
      // A browser spending the cookie has nothing to put in the body and may send none.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const body = request.body;
      const fromCookie = request.cookies[REFRESH_COOKIE];
      const presented = body.refreshToken ?? fromCookie;
      if (!presented) throw new AppError('POS_ERR_UNAUTHENTICATED');
      if (!body.refreshToken) assertAllowedOrigin(request, allowedOrigins);

      const tokens = await refreshSession(context, presented, sourceOf(request));
      return sendTokens(reply, tokens, !body.refreshToken || body.refreshTokenInCookie === true);
    },
  );

  app.post(
    '/api/v1/auth/logout',
    { config: { access: openToRestrictedTokens } },
    async (request, reply) => {
      await logout(context, principalOf(request), claimsOf(request), sourceOf(request));
      void reply.clearCookie(REFRESH_COOKIE, {
        path: '/',
        secure: true,
        httpOnly: true,
        sameSite: 'strict',
      });
      return reply.code(204).send();
    },
  );

  app.get('/api/v1/auth/me', { config: { access: openToRestrictedTokens } }, async (request) => {
    const principal = principalOf(request);
    return { ...(await me(context, principal)), permissions: [...principal.permissions].sort() };
  });

  app.post(
    '/api/v1/auth/password',
    {
      config: { access: { authenticated: true, allowPasswordChange: true }, rateClass: 'auth' },
      schema: { body: PasswordChangeBody },
    },
    async (request) =>
      changeOwnPassword(
        context,
        principalOf(request),
        claimsOf(request),
        request.body,
        sourceOf(request),
      ),
  );

  app.get(
    '/api/v1/auth/sessions',
    { config: { access: { authenticated: true } } },
    async (request) => {
      const principal = principalOf(request);
      const items = await listSessions(
        context,
        principal.restaurantId,
        principal.id,
        principal.sessionId,
      );
      return { items, nextCursor: null };
    },
  );

  app.delete(
    '/api/v1/auth/sessions/:id',
    { config: { access: { authenticated: true } }, schema: { params: SessionParams } },
    async (request, reply) => {
      const principal = principalOf(request);
      const { id } = request.params;
      await revokeOwnedSession(context, principal, id, sourceOf(request));
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/v1/auth/mfa/setup',
    // A new admin with a temporary password enrols first, then changes the password.
    { config: { access: openToRestrictedTokens } },
    async (request) => startEnrolment(context, principalOf(request)),
  );

  app.post(
    '/api/v1/auth/mfa/verify',
    {
      config: { access: openToRestrictedTokens, rateClass: 'auth' },
      schema: { body: MfaVerifyBody },
    },
    async (request) => {
      const principal = principalOf(request);
      const claims = claimsOf(request);
      const { recoveryCodes, user } = await confirmEnrolment(
        context,
        principal,
        request.body.code,
        sourceOf(request),
      );
      const { token, claims: issued } = await context.auth.tokens.issue({
        type: 'access',
        userId: user.id,
        restaurantId: user.restaurant_id,
        role: claims.role,
        sessionId: claims.sid,
        mustChangePassword: user.must_change_password === 1,
        customerId: user.customer_id,
      });
      return {
        recoveryCodes,
        accessToken: token,
        expiresIn: issued.exp - issued.iat,
        user: toUserView(user),
      };
    },
  );

  app.post(
    '/api/v1/auth/approvals',
    {
      config: { access: { authenticated: true }, rateClass: 'auth' },
      schema: { body: ApprovalBody },
    },
    async (request, reply) => {
      const approval = await grantApproval(
        context,
        principalOf(request),
        request.body,
        sourceOf(request),
      );
      return reply.code(201).send(approval);
    },
  );

  app.get(
    '/.well-known/jwks.json',
    { config: { access: { public: true } } },
    async (_request, reply) => {
      void reply.header('cache-control', 'public, max-age=300');
      return context.auth.signingKeys.jwks();
    },
  );
}

function claimsOf(request: FastifyRequest): AccessClaims {
  if (!request.accessClaims) throw new AppError('POS_ERR_UNAUTHENTICATED');
  return request.accessClaims;
}

/**
 * A refresh through the cookie must come from one of our own front ends: browsers send `Origin`
 * on POST, so a cross-site page cannot spend the cookie.
 */
function assertAllowedOrigin(request: FastifyRequest, allowed: ReadonlySet<string>): void {
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || !allowed.has(origin)) {
    throw new AppError('POS_ERR_FORBIDDEN');
  }
}

function sendTokens(reply: FastifyReply, tokens: SessionTokens, inCookie: boolean) {
  if (!inCookie) return reply.send(tokens);

  const { refreshToken, ...rest } = tokens;
  void reply.setCookie(REFRESH_COOKIE, refreshToken, {
    path: '/',
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    expires: new Date(tokens.refreshExpiresAt),
  });
  return reply.send(rest);
}
