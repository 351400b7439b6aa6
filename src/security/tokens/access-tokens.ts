import { randomBytes } from 'node:crypto';

import {
  SignJWT,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
} from 'jose';

import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { isRole, type Role } from '../authz/permissions.js';
import { TOKEN_ALGORITHM, type SigningKeyStore } from './signing-keys.js';

export const ISSUER = 'chefia-pos';
export const AUDIENCE = 'chefia-pos-api';

/**
 * `access` opens the API; `mfa_enrolment` only lets a user enrol a second factor before their
 * first real session. The type is an explicit claim so one can never be used as the other.
 */
export type AccessTokenType = 'access' | 'mfa_enrolment';

export interface AccessClaims {
  typ: AccessTokenType;
  sub: string;
  rid: string;
  role: Role;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  /** The user must change their password before anything else. */
  mcp: boolean;
  /** The customer record linked to a customer login. */
  cid: string | null;
}

export interface IssueInput {
  type: AccessTokenType;
  userId: string;
  restaurantId: string;
  role: Role;
  sessionId: string;
  mustChangePassword: boolean;
  customerId: string | null;
}

const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Issues and verifies access tokens: EdDSA only, with `kid`, issuer, audience and type checked. */
export class AccessTokenService {
  readonly #keys: SigningKeyStore;
  readonly #clock: Clock;
  readonly ttlSeconds: number;

  constructor(options: { keys: SigningKeyStore; clock: Clock; ttlSeconds: number }) {
    this.#keys = options.keys;
    this.#clock = options.clock;
    this.ttlSeconds = options.ttlSeconds;
  }

  async issue(input: IssueInput): Promise<{ token: string; claims: AccessClaims }> {
    const { kid, key } = await this.#keys.signingKey();
    const iat = Math.floor(this.#clock.now().getTime() / 1000);
    const claims: AccessClaims = {
      typ: input.type,
      sub: input.userId,
      rid: input.restaurantId,
      role: input.role,
      sid: input.sessionId,
      jti: randomBytes(16).toString('base64url'),
      iat,
      exp: iat + (input.type === 'access' ? this.ttlSeconds : 600),
      mcp: input.mustChangePassword,
      cid: input.customerId,
    };
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(key);
    return { token, claims };
  }

  /**
   * Verifies a token and returns its claims, or throws the one generic authentication error.
   * The algorithm is fixed by us, never taken from the header; the key is looked up by `kid`
   * among our own keys only.
   */
  async verify(token: string): Promise<AccessClaims> {
    const unauthenticated = () => new AppError('POS_ERR_UNAUTHENTICATED');

    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw unauthenticated();
    }
    if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) throw unauthenticated();

    const key = await this.#keys.verificationKey(kid);
    if (!key) throw unauthenticated();

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [TOKEN_ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: this.#clock.now(),
        clockTolerance: 5,
        requiredClaims: ['jti', 'iat', 'exp', 'sub'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw unauthenticated();
      throw error;
    }
    return toClaims(payload) ?? throwError(unauthenticated());
  }
}

function toClaims(payload: JWTPayload): AccessClaims | null {
  const { typ, sub, rid, role, sid, jti, iat, exp, mcp, cid } = payload as Record<string, unknown>;
  if (typ !== 'access' && typ !== 'mfa_enrolment') return null;
  if (typeof sub !== 'string' || typeof rid !== 'string' || typeof sid !== 'string') return null;
  if (typeof role !== 'string' || !isRole(role) || typeof jti !== 'string') return null;
  if (typeof iat !== 'number' || typeof exp !== 'number' || typeof mcp !== 'boolean') return null;
  if (cid !== null && typeof cid !== 'string') return null;
  return { typ, sub, rid, role, sid, jti, iat, exp, mcp, cid };
}

function throwError(error: Error): never {
  throw error;
}
