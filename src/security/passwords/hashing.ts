import { randomBytes } from 'node:crypto';

import { hash as argon2Hash, parseOptions, verify as argon2Verify } from '@node-rs/argon2';
import type { Algorithm, Version } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';

import { AppError } from '../../core/errors.js';
import { codePointLength, MAX_PASSWORD_LENGTH } from './limits.js';

/** Turns passwords into stored hashes and checks them; every method does the slow work. */
export interface PasswordHasher {
  /** An argon2id hash in PHC format, salt included. */
  hash(password: string): Promise<string>;
  /**
   * Checks `password` against a stored hash. `needsRehash` is true when the password matched but
   * the hash is bcrypt, another argon2 variant or weaker than the configured parameters: the
   * caller should store a fresh `hash(password)` while it still has the password.
   */
  verify(stored: string, password: string): Promise<{ ok: boolean; needsRehash: boolean }>;
  /**
   * Does the work of one verification and learns nothing. Login calls it when no user has the
   * given name, so that path costs the same argon2 work as a wrong password and the response
   * time does not reveal which usernames exist.
   */
  burn(password: string): Promise<void>;
}

export interface HashParams {
  /** KiB of memory per hash. */
  memoryCost: number;
  /** Passes over that memory. */
  timeCost: number;
  /** Lanes computed in parallel. */
  parallelism: number;
}

/** The SPEC's minimum (OWASP's argon2id baseline): 19 MiB, 2 passes, 1 lane. */
export const DEFAULT_HASH_PARAMS: Readonly<HashParams> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

/** TEST ONLY: far below the SPEC minimum so suites run fast. Never use it in a running server. */
export const TEST_HASH_PARAMS: Readonly<HashParams> = Object.freeze({
  memoryCost: 1024,
  timeCost: 1,
  parallelism: 1,
});

export type HashScheme = 'argon2' | 'bcrypt' | 'unknown';

// @node-rs/argon2 declares these as `const enum`s, which isolated modules cannot read at run time;
// the values are the ones its declarations give.
const ARGON2ID: Algorithm = 2;
const ARGON2_VERSION_19: Version = 1;

const ARGON2_PREFIX = /^\$argon2(?:id|i|d)\$/;
const BCRYPT_PREFIX = /^\$2[aby]\$\d{2}\$/;

/**
 * Which algorithm made a stored hash. An argon2 prefix on a string argon2 cannot decode counts as
 * unknown, so a damaged hash costs a full dummy verification instead of failing at once.
 */
export function hashScheme(stored: string): HashScheme {
  if (ARGON2_PREFIX.test(stored) && isDecodableArgon2(stored)) return 'argon2';
  if (BCRYPT_PREFIX.test(stored)) return 'bcrypt';
  return 'unknown';
}

function isDecodableArgon2(stored: string): boolean {
  try {
    parseOptions(stored);
    return true;
  } catch {
    return false;
  }
}

/**
 * An argon2id hasher. @node-rs/argon2's async functions run on the libuv thread pool, so hashing
 * never blocks the event loop; only the legacy bcrypt check (bcryptjs, pure JavaScript) runs on
 * it, in small slices, and only until each such user's next successful login rehashes them.
 */
export function createPasswordHasher(params: Partial<HashParams> = {}): PasswordHasher {
  const config: HashParams = { ...DEFAULT_HASH_PARAMS, ...params };
  const argon2Options = { ...config, algorithm: ARGON2ID, version: ARGON2_VERSION_19 };
  let dummyHash: Promise<string> | undefined;

  async function matchesArgon2(stored: string, password: string): Promise<boolean> {
    try {
      return await argon2Verify(stored, password);
    } catch {
      // A hash argon2 cannot use is a failed login, not a server error.
      return false;
    }
  }

  async function matches(stored: string, password: string, scheme: HashScheme): Promise<boolean> {
    if (scheme === 'argon2') return matchesArgon2(stored, password);

    try {
      return await bcrypt.compare(password, stored);
    } catch {
      return false;
    }
  }

  async function burn(password: string): Promise<void> {
    // Made once, lazily, with the configured parameters, so a burn costs what a real check of a
    // current hash costs. Its password is random and thrown away: nothing can ever match it.
    dummyHash ??= argon2Hash(randomBytes(32).toString('base64url'), argon2Options).catch(
      (error: unknown) => {
        dummyHash = undefined;
        throw error;
      },
    );
    await matchesArgon2(await dummyHash, password);
  }

  return {
    async hash(password) {
      // The policy should have stopped it; a longer password could never be verified (see below).
      if (codePointLength(password) > MAX_PASSWORD_LENGTH) {
        throw new AppError('POS_ERR_PASSWORD_POLICY');
      }
      return argon2Hash(password, argon2Options);
    },

    async verify(stored, password) {
      const scheme = hashScheme(stored);

      if (scheme === 'unknown') {
        await burn(password);
        return { ok: false, needsRehash: false };
      }

      // No stored password can be longer than the maximum, so a longer one is wrong. It still
      // goes through the full check against the stored hash, result ignored, so an answer for an
      // over-long password takes as long as any other wrong password.
      const tooLong = codePointLength(password) > MAX_PASSWORD_LENGTH;
      const matched = await matches(stored, password, scheme);
      if (!matched || tooLong) return { ok: false, needsRehash: false };

      const needsRehash = scheme === 'bcrypt' || isWeakerThan(stored, config);
      return { ok: true, needsRehash };
    },

    burn,
  };
}

function isWeakerThan(stored: string, config: HashParams): boolean {
  const used = parseOptions(stored);
  return (
    used.algorithm !== ARGON2ID ||
    used.version !== ARGON2_VERSION_19 ||
    used.memoryCost < config.memoryCost ||
    used.timeCost < config.timeCost ||
    used.parallelism < config.parallelism
  );
}

/** How often each kind of work was done, for tests that compare login paths. */
export interface HashingCounts {
  hash: number;
  verify: number;
  burn: number;
  /** Argon2 verifications, whether a real `verify` or a `burn`; bcrypt checks are not counted. */
  argon2Verifications: number;
}

/**
 * TEST DOUBLE: wraps a hasher and counts calls, so login tests can prove that an unknown user and
 * a wrong password cost the same argon2 work. Unknown hash formats count as an argon2
 * verification because `verify` burns one for them.
 */
export function countingHasher(inner: PasswordHasher): {
  hasher: PasswordHasher;
  counts: HashingCounts;
} {
  const counts: HashingCounts = { hash: 0, verify: 0, burn: 0, argon2Verifications: 0 };

  const hasher: PasswordHasher = {
    hash(password) {
      counts.hash += 1;
      return inner.hash(password);
    },
    verify(stored, password) {
      counts.verify += 1;
      if (hashScheme(stored) !== 'bcrypt') counts.argon2Verifications += 1;
      return inner.verify(stored, password);
    },
    burn(password) {
      counts.burn += 1;
      counts.argon2Verifications += 1;
      return inner.burn(password);
    },
  };

  return { hasher, counts };
}
