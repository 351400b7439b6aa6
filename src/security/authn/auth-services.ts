import type { AppContext } from '../../app/context.js';
import {
  DEFAULT_STAFF_POLICY,
  createPasswordHasher,
  type PasswordHasher,
  type PasswordPolicy,
} from '../passwords/index.js';
import { AccessTokenService } from '../tokens/access-tokens.js';
import { SigningKeyStore } from '../tokens/signing-keys.js';
import { bearerAuthenticator, type Authenticator } from './authenticate.js';
import { gatedHasher } from './hashing-gate.js';
import { RevocationStore } from './revocations.js';

/** The identity machinery every request goes through; built once per process. */
export interface AuthServices {
  hasher: PasswordHasher;
  staffPasswordPolicy: PasswordPolicy;
  signingKeys: SigningKeyStore;
  tokens: AccessTokenService;
  revocations: RevocationStore;
  /** Tried in order; API keys plug in here beside bearer tokens. */
  authenticators: Authenticator[];
}

type ContextWithoutAuth = Omit<AppContext, 'auth'>;

/** Loads signing keys and revocations and wires the authenticators. */
export async function createAuthServices(
  context: ContextWithoutAuth,
  hasher: PasswordHasher = createPasswordHasher(),
): Promise<AuthServices> {
  const { config } = context;
  const signingKeys = new SigningKeyStore({
    database: context.database,
    keyRing: () => context.keyRing,
    clock: context.clock,
    tokenTtlSeconds: config.auth.accessTokenTtlSeconds,
  });
  await signingKeys.load();

  const revocations = new RevocationStore({
    database: context.database,
    clock: context.clock,
    ids: context.ids,
    redis: context.redis,
    logger: context.logger,
  });
  await revocations.start();

  const auth: AuthServices = {
    hasher: gatedHasher(hasher),
    staffPasswordPolicy: {
      ...DEFAULT_STAFF_POLICY,
      requireComposition: config.auth.passwordComposition,
    },
    signingKeys,
    tokens: new AccessTokenService({
      keys: signingKeys,
      clock: context.clock,
      ttlSeconds: config.auth.accessTokenTtlSeconds,
    }),
    revocations,
    authenticators: [],
  };
  auth.authenticators.push(bearerAuthenticator({ ...context, auth }));
  return auth;
}
