import { randomBytes } from 'node:crypto';

import {
  SignJWT,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
} from 'jose';
import { LRUCache } from 'lru-cache';

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

/**
 * Why a presented access token was refused, for the audit trail only: the client always gets the
 * same 401. `malformed` is a header that is not a bearer JWT; `invalid` covers every token whose
 * signature, key, algorithm or claims do not hold; `expired` is our own token past its lifetime;
 * `revoked` is a logged-out or ended session.
 */
export type TokenRejection = 'malformed' | 'invalid' | 'expired' | 'revoked';

/**
 * The generic authentication error, carrying why the token was refused and, only when the
 * signature was ours (an expired or revoked token), whose token it was.
 */
export class TokenRejectedError extends AppError {
  readonly reason: TokenRejection;
  readonly claims: AccessClaims | null;

  constructor(reason: TokenRejection, claims: AccessClaims | null = null) {
    super('POS_ERR_UNAUTHENTICATED');
    this.reason = reason;
    this.claims = claims;
  }
}

const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Tolerated clock skew between the servers that issue and verify tokens, in seconds. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** Tokens whose verification is remembered; about one per active terminal. */
const VERIFIED_CACHE_SIZE = 10_000;

interface Verified {
  kid: string;
  claims: AccessClaims;
}

/** Issues and verifies access tokens: EdDSA only, with `kid`, issuer, audience and type checked. */
export class AccessTokenService {
  readonly #keys: SigningKeyStore;
  readonly #clock: Clock;
  readonly ttlSeconds: number;
  /**
   * Signature checks already done, by the exact token text. An EdDSA verification is the
   * largest single cost of an authenticated read, and a terminal sends the same token for its
   * whole 15-minute life. Only a token that passed every check is kept; a hit still requires its
   * key to verify and its expiry to lie ahead, and revocation is checked per request by the
   * caller, so remembering changes nothing about which tokens are accepted.
   */
  readonly #verified = new LRUCache<string, Verified>({ max: VERIFIED_CACHE_SIZE });

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
   * Verifies a token and returns its claims, or throws the one generic authentication error
   * (a `TokenRejectedError`). The algorithm is fixed by us, never taken from the header; the key
   * is looked up by `kid` among our own keys only.
   */
  async verify(token: string): Promise<AccessClaims> {
    const unauthenticated = () => new TokenRejectedError('invalid');

    const remembered = this.#verified.get(token);
    if (remembered) {
      const nowSeconds = this.#clock.now().getTime() / 1000;
      const live = remembered.claims.exp + CLOCK_TOLERANCE_SECONDS > nowSeconds;
      if (live && (await this.#keys.verificationKey(remembered.kid))) return remembered.claims;
      this.#verified.delete(token);
      throw live ? unauthenticated() : new TokenRejectedError('expired', remembered.claims);
    }

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
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['jti', 'iat', 'exp', 'sub'],
      }));
    } catch (error) {
      // jose checks the signature before the claims, so an expired token's claims are ours.
      if (error instanceof joseErrors.JWTExpired) {
        throw new TokenRejectedError('expired', toClaims(error.payload));
      }
      if (error instanceof joseErrors.JOSEError) throw unauthenticated();
      throw error;
    }
    const claims = toClaims(payload) ?? throwError(unauthenticated());
    this.#verified.set(token, { kid, claims });
    return claims;
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
