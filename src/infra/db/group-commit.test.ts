import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { GroupCommit } from './group-commit.js';

interface Schema {
  sales: { label: string };
}

/** A gate a transaction's work waits on, opened by the test. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** Settled state of a promise, read without waiting for it. */
function track<T>(promise: Promise<T>) {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

describe('group commit', () => {
  let dataDir: string;
  let writer: SQLite.Database;
  let reader: SQLite.Database;
  let kysely: Kysely<Schema>;
  let commits: GroupCommit<Schema>;

  const committedLabels = () =>
    (
      reader.prepare('SELECT label FROM sales ORDER BY label').all() as Array<{ label: string }>
    ).map((row) => row.label);
  const sell = (label: string) => (tx: Kysely<Schema>) =>
    tx.insertInto('sales').values({ label }).execute();

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'chefia-group-commit-'));
    const file = path.join(dataDir, 'sales.db');
    writer = new SQLite(file);
    writer.pragma('journal_mode = WAL');
    writer.exec('CREATE TABLE sales (label TEXT PRIMARY KEY)');
    // A second connection sees only what is committed, as another process would.
    reader = new SQLite(file, { readonly: true });
    kysely = new Kysely<Schema>({ dialect: new SqliteDialect({ database: writer }) });
    commits = new GroupCommit(kysely, { maxUnits: 3 });
  });

  afterEach(async () => {
    await commits.idle();
    await kysely.destroy();
    reader.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('acknowledges no transaction before the commit it shares with those queued beside it', async () => {
    const later = gate();
    const first = commits.run(async (tx) => {
      await sell('first')(tx);
      return 'first done';
    });
    const second = commits.run(async (tx) => {
      await sell('second')(tx);
      await later.opened;
      return 'second done';
    });
    const firstState = track(first);

    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(firstState.settled).toBe(false);
    expect(committedLabels()).toEqual([]);

    later.open();
    await expect(Promise.all([first, second])).resolves.toEqual(['first done', 'second done']);
    expect(committedLabels()).toEqual(['first', 'second']);
  });

  it('rolls back only the transaction whose work fails, and rejects it with its own error', async () => {
    const refused = new Error('refused');
    const results = await Promise.allSettled([
      commits.run(sell('a')),
      commits.run(async (tx) => {
        await sell('b')(tx);
        throw refused;
      }),
      commits.run(async (tx) => {
        await sell('c')(tx);
        await sell('c')(tx); // primary key violation: SQLite fails the statement alone
      }),
    ]);

    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(results[1]).toMatchObject({ reason: refused });
    expect(results[2]).toMatchObject({ reason: { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' } });
    expect(committedLabels()).toEqual(['a']);
  });

  it('rejects a failed transaction only once the batch has ended and let go of the write lock', async () => {
    const seen: boolean[] = [];
    const failing = commits.run(async (tx) => {
      await sell('x')(tx);
      throw new Error('refused');
    });
    const beside = commits.run(sell('y'));

    await failing.catch(() => seen.push(writer.inTransaction));
    await beside;
    expect(seen).toEqual([false]);
    expect(committedLabels()).toEqual(['y']);
  });

  it('rejects every transaction of a batch that SQLite ended, writes none of them, and goes on', async () => {
    const results = await Promise.allSettled([
      commits.run(sell('kept-until-the-end')),
      // What SQLite does by itself on a full disk or an I/O error: the whole transaction is gone.
      commits.run(async (tx) => {
        await sql`ROLLBACK`.execute(tx);
      }),
    ]);

    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(committedLabels()).toEqual([]);
    expect(writer.inTransaction).toBe(false);

    await commits.run(sell('after'));
    expect(committedLabels()).toEqual(['after']);
  });

  it('commits at most maxUnits transactions together, so a slow one holds back no earlier batch', async () => {
    const slow = gate();
    const batch = [commits.run(sell('1')), commits.run(sell('2')), commits.run(sell('3'))];
    const held = commits.run(async (tx) => {
      await sell('4')(tx);
      await slow.opened;
    });

    await Promise.all(batch);
    expect(committedLabels()).toEqual(['1', '2', '3']);

    slow.open();
    await held;
    expect(committedLabels()).toEqual(['1', '2', '3', '4']);
  });

  it('settles idle() only after the transactions in flight have committed', async () => {
    const slow = gate();
    const inFlight = commits.run(async (tx) => {
      await sell('late')(tx);
      await slow.opened;
    });
    const idle = track(commits.idle());

    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(idle.settled).toBe(false);

    slow.open();
    await inFlight;
    await commits.idle();
    expect(committedLabels()).toEqual(['late']);
  });
});
