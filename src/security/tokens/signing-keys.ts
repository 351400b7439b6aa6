import { randomBytes } from 'node:crypto';

import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

import type { Clock } from '../../core/clock.js';
import type { Database, Executor } from '../../infra/db/database.js';
import { decryptField, encryptField, type KeyRing } from '../crypto/index.js';

/** Ed25519 signatures: asymmetric, so verifiers need no secret and `/.well-known/jwks.json` works. */
export const TOKEN_ALGORITHM = 'EdDSA';

const PRIVATE_JWK_CONTEXT = 'signing_keys.private_jwk';
/** How often a process re-reads the key table, to pick up a rotation made elsewhere. */
const RELOAD_INTERVAL_MS = 60_000;

interface LoadedKey {
  kid: string;
  publicKey: CryptoKey;
  publicJwk: JWK;
  privateKey: CryptoKey | null;
  retiredAt: number | null;
}

/**
 * The token-signing keys. The newest key signs; retired keys keep verifying until every token
 * they could have signed has expired, so rotation needs no downtime. Private keys are stored
 * encrypted with the data key ring; keys never live in source code or configuration.
 */
export class SigningKeyStore {
  readonly #database: Database;
  readonly #keyRing: () => KeyRing;
  readonly #clock: Clock;
  /** How long after retirement a key still verifies: token lifetime plus reload slack. */
  readonly #verifyGraceMs: number;
  #keys = new Map<string, LoadedKey>();
  #activeKid: string | null = null;
  #loadedAt = 0;
  #lastUnknownKidReload = 0;
  #reloading: Promise<void> | null = null;

  constructor(options: {
    database: Database;
    keyRing: () => KeyRing;
    clock: Clock;
    tokenTtlSeconds: number;
  }) {
    this.#database = options.database;
    this.#keyRing = options.keyRing;
    this.#clock = options.clock;
    this.#verifyGraceMs = options.tokenTtlSeconds * 1000 + RELOAD_INTERVAL_MS + 60_000;
  }

  /** Loads the keys, creating the first one on a fresh database. */
  async load(): Promise<void> {
    let rows = await this.#database.kysely.selectFrom('signing_keys').selectAll().execute();
    if (rows.length === 0) {
      await rotateSigningKey(this.#database.kysely, this.#keyRing(), this.#clock);
      rows = await this.#database.kysely.selectFrom('signing_keys').selectAll().execute();
    }

    const keys = new Map<string, LoadedKey>();
    let active: { kid: string; created: string } | null = null;
    for (const row of rows) {
      const retiredAt = row.retired_at ? Date.parse(row.retired_at) : null;
      if (retiredAt !== null && retiredAt + this.#verifyGraceMs < this.#clock.now().getTime()) {
        continue;
      }
      const publicJwk = JSON.parse(row.public_jwk) as JWK;
      const privateKey =
        retiredAt === null
          ? ((await importJWK(
              JSON.parse(
                decryptField(this.#keyRing(), row.private_jwk, PRIVATE_JWK_CONTEXT),
              ) as JWK,
              TOKEN_ALGORITHM,
            )) as CryptoKey)
          : null;
      keys.set(row.kid, {
        kid: row.kid,
        publicJwk,
        publicKey: (await importJWK(publicJwk, TOKEN_ALGORITHM)) as CryptoKey,
        privateKey,
        retiredAt,
      });
      if (retiredAt === null && (!active || row.created_at > active.created)) {
        active = { kid: row.kid, created: row.created_at };
      }
    }

    this.#keys = keys;
    this.#activeKid = active?.kid ?? null;
    this.#loadedAt = this.#clock.now().getTime();
  }

  /**
   * The key that signs new tokens. A stale key table is re-read in the background rather than
   * awaited: a caller may issue a token inside a transaction, and on SQLite a read outside it
   * would wait for the very connection that transaction holds (a deadlock).
   */
  async signingKey(): Promise<{ kid: string; key: CryptoKey }> {
    if (this.#isStale()) this.#reload().catch(() => undefined);
    const active = this.#activeKid ? this.#keys.get(this.#activeKid) : undefined;
    if (!active?.privateKey) throw new Error('No active token-signing key.');
    return { kid: active.kid, key: active.privateKey };
  }

  /**
   * The public key for a `kid`, or null. An unknown kid triggers at most one reload every few
   * seconds, so a rotation made by another process is seen without letting forged kids force a
   * database read per request.
   */
  async verificationKey(kid: string): Promise<CryptoKey | null> {
    // Periodic as well: a key another process retired must stop verifying after its grace.
    // Verification happens before any transaction opens, so this read may be awaited.
    if (this.#isStale()) await this.#reload();
    let key = this.#keys.get(kid);
    const now = this.#clock.now().getTime();
    if (!key && now - this.#lastUnknownKidReload > 5_000) {
      this.#lastUnknownKidReload = now;
      await this.#reload();
      key = this.#keys.get(kid);
    }
    if (!key) return null;
    if (key.retiredAt !== null && key.retiredAt + this.#verifyGraceMs < now) return null;
    return key.publicKey;
  }

  #isStale(): boolean {
    return this.#clock.now().getTime() - this.#loadedAt > RELOAD_INTERVAL_MS;
  }

  /** One reload at a time: requests arriving meanwhile wait for it instead of starting theirs. */
  #reload(): Promise<void> {
    this.#reloading ??= this.load().finally(() => {
      this.#reloading = null;
    });
    return this.#reloading;
  }

  /** The public keys, as a JWK set, for `/.well-known/jwks.json`. */
  jwks(): { keys: JWK[] } {
    return {
      keys: [...this.#keys.values()].map((key) => ({
        ...key.publicJwk,
        kid: key.kid,
        alg: TOKEN_ALGORITHM,
        use: 'sig',
      })),
    };
  }
}

/**
 * Creates a new signing key and retires the current one (`chefia keys rotate`). The retired key
 * keeps verifying until the tokens it signed have expired.
 */
export async function rotateSigningKey(
  db: Executor,
  keyRing: KeyRing,
  clock: Clock,
): Promise<string> {
  const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALGORITHM, {
    crv: 'Ed25519',
    extractable: true,
  });
  const kid = randomBytes(12).toString('base64url');
  const now = clock.now().toISOString();

  await db
    .updateTable('signing_keys')
    .set({ retired_at: now })
    .where('retired_at', 'is', null)
    .execute();
  await db
    .insertInto('signing_keys')
    .values({
      kid,
      algorithm: TOKEN_ALGORITHM,
      private_jwk: encryptField(
        keyRing,
        JSON.stringify(await exportJWK(privateKey)),
        PRIVATE_JWK_CONTEXT,
      ),
      public_jwk: JSON.stringify(await exportJWK(publicKey)),
      created_at: now,
      retired_at: null,
    })
    .execute();
  return kid;
}
