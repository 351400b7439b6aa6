import type { FastifyInstance } from 'fastify';

import type { AppContext } from '../../app/context.js';
import type { Executor } from '../../infra/db/database.js';
import { decryptField, keyIdOf, type KeyRing } from '../crypto/index.js';
import { loadDataKeyRing } from './data-key-ring.js';

type RingHolder = Pick<AppContext, 'database' | 'keys' | 'clock' | 'keyRing'>;

/** A value naming a key this process lacks reloads the ring at most this often. */
const UNKNOWN_KEY_RELOAD_GAP_MS = 1_000;

const inFlight = new WeakMap<RingHolder, Promise<KeyRing>>();
const lastUnknownKeyReload = new WeakMap<RingHolder, number>();

/**
 * Re-reads the data key ring and installs it as `context.keyRing`, so the next encryption uses
 * whichever key is active now. Callers running at the same moment share one database read.
 * Inside a transaction pass it as `db`: on SQLite the transaction holds the only connection, and
 * a read outside it would wait for the transaction that is waiting for the read.
 */
export function reloadKeyRing(
  context: RingHolder,
  db: Executor = context.database.kysely,
): Promise<KeyRing> {
  const install = (ring: KeyRing) => {
    context.keyRing = ring;
    return ring;
  };
  // A caller inside a transaction reads through it and never waits on a shared read, which on
  // SQLite could itself be waiting for that transaction's connection.
  if (db !== context.database.kysely) {
    return loadDataKeyRing(db, context.keys.masterKey, context.clock).then(install);
  }

  const pending = inFlight.get(context);
  if (pending) return pending;

  const reload = loadDataKeyRing(db, context.keys.masterKey, context.clock)
    .then(install)
    .finally(() => inFlight.delete(context));
  inFlight.set(context, reload);
  return reload;
}

/**
 * Decrypts a stored value like `decryptField`, but first reloads the ring when the value names a
 * key this process has not loaded: another process rotated and re-encrypted it before this one's
 * periodic reload came round. Values come from the database, yet the reloads are still spaced so
 * that no row can make every request read the key table. Pass the transaction as `db` when there
 * is one (see `reloadKeyRing`).
 */
export async function decryptStored(
  context: RingHolder,
  stored: string,
  fieldContext: string,
  db: Executor = context.database.kysely,
): Promise<string> {
  if (!context.keyRing.has(keyIdOf(stored))) {
    // Wall time, not the injected clock: this only spaces database reads, and a frozen test
    // clock would otherwise allow a single reload per process.
    const now = Date.now();
    const pending = db === context.database.kysely ? inFlight.get(context) : undefined;
    if (pending) {
      await pending;
    } else if (now - (lastUnknownKeyReload.get(context) ?? 0) >= UNKNOWN_KEY_RELOAD_GAP_MS) {
      lastUnknownKeyReload.set(context, now);
      await reloadKeyRing(context, db);
    }
  }

  return decryptField(context.keyRing, stored, fieldContext);
}

/**
 * Reloads the key ring every `CHEFIA_DATA_KEY_RELOAD_SECONDS` while the server runs, so a key
 * added by `chefia keys rotate-data-key` in another process encrypts new writes here too. A failed
 * reload keeps the current ring (which still decrypts everything it did) and is logged.
 */
export function installKeyRingRefresh(app: FastifyInstance, context: AppContext): void {
  const intervalMs = context.config.dataKeys.reloadSeconds * 1000;
  const timer = setInterval(() => {
    reloadKeyRing(context).catch((error: unknown) => {
      context.logger.warn({ err: error }, 'data key ring reload failed; keeping the loaded ring');
    });
  }, intervalMs);
  timer.unref();

  app.addHook('onClose', async () => clearInterval(timer));
}
