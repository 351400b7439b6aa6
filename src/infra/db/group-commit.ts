import type { Kysely, Transaction } from 'kysely';

type Work<DB, T> = (tx: Transaction<DB>) => Promise<T>;

interface Unit<DB> {
  work: Work<DB, unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  /** The most transactions one commit may carry, so a rush cannot hold the writer for long. */
  maxUnits?: number;
}

const DEFAULT_MAX_UNITS = 64;
const SAVEPOINT = 'unit';

/**
 * Read before fake timers replace it in tests: the batch must really wait for the event loop to
 * read the requests that are waiting on their sockets.
 */
const nextLoopTurn = globalThis.setImmediate.bind(globalThis);

/**
 * Group commit for the embedded database. better-sqlite3 commits synchronously, and with
 * `synchronous=FULL` every commit waits for its fsync with the event loop blocked. SQLite has no
 * group commit of its own (PostgreSQL's server does it for its clients), so transactions that
 * arrive together share one here: each runs in its own savepoint inside one SQLite transaction,
 * one after another in arrival order, and none is acknowledged before that transaction has
 * committed. A transaction whose work fails rolls back to its savepoint alone and is rejected at
 * once; if the SQLite transaction as a whole fails, every transaction it carried is rejected and
 * none of them is written. The schema declares no deferred constraints, so a transaction's own
 * statements show its failure and the shared commit does not depend on any one of them.
 */
export class GroupCommit<DB> {
  readonly #kysely: Kysely<DB>;
  readonly #maxUnits: number;
  readonly #queue: Array<Unit<DB>> = [];
  #draining: Promise<void> | null = null;

  constructor(kysely: Kysely<DB>, options: GroupCommitOptions = {}) {
    this.#kysely = kysely;
    this.#maxUnits = options.maxUnits ?? DEFAULT_MAX_UNITS;
  }

  /** Runs `work` in a transaction; resolves with its result once the result is durable. */
  run<T>(work: Work<DB, T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  /** Settles once every transaction handed to `run` so far has committed or failed. */
  async idle(): Promise<void> {
    await this.#draining;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) await this.#commitBatch();
    // Cleared in the same synchronous step as the empty-queue check, so that a transaction
    // queued from here on starts a new drain instead of waiting for this finished one.
    this.#draining = null;
  }

  async #commitBatch(): Promise<void> {
    let trx;
    try {
      trx = await this.#kysely.startTransaction().execute();
    } catch (error) {
      for (const unit of this.#queue.splice(0, this.#maxUnits)) unit.reject(error);
      return;
    }

    const succeeded: Array<{ unit: Unit<DB>; value: unknown }> = [];
    const failed: Array<{ unit: Unit<DB>; error: unknown }> = [];
    let current: Unit<DB> | undefined;
    let lost: { error: unknown } | undefined;
    try {
      let units = 0;
      while (units < this.#maxUnits) {
        current = this.#queue.shift();
        if (!current) {
          // Let requests already waiting on their sockets reach the queue before committing.
          await new Promise((resolve) => nextLoopTurn(resolve));
          if (this.#queue.length === 0) break;
          continue;
        }
        units += 1;
        const savepoint = await trx.savepoint(SAVEPOINT).execute();
        try {
          const value = await current.work(savepoint);
          await savepoint.releaseSavepoint(SAVEPOINT).execute();
          succeeded.push({ unit: current, value });
        } catch (error) {
          // These fail when SQLite has ended the whole transaction by itself (a full disk, an I/O
          // error): the savepoint is gone with it, and so is the batch.
          await savepoint.rollbackToSavepoint(SAVEPOINT).execute();
          await savepoint.releaseSavepoint(SAVEPOINT).execute();
          failed.push({ unit: current, error });
        }
        current = undefined;
      }
      await trx.commit().execute();
    } catch (error) {
      lost = { error };
      if (!trx.isCommitted && !trx.isRolledBack) {
        // Releases the connection even when SQLite already ended the transaction.
        await trx
          .rollback()
          .execute()
          .catch(() => undefined);
      }
    }

    // Everything is settled only now that the batch has ended and let go of the write lock, so
    // that whatever a caller does next, even on another connection, finds the outcome in place.
    for (const { unit, error } of failed) unit.reject(error);
    if (lost) {
      current?.reject(lost.error);
      for (const { unit } of succeeded) unit.reject(lost.error);
    } else {
      for (const { unit, value } of succeeded) unit.resolve(value);
    }
  }
}
