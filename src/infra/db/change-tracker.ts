import type { TableName } from './schema.js';

/** Read before fake timers replace it in tests: the turn must really end. */
const nextLoopTurn = globalThis.setImmediate.bind(globalThis);

/** What one statement can write: nothing, some tables, or anything at all. */
export type Writes = readonly string[] | 'all';

const READS: Writes = [];

/** Statements that write nothing themselves: reads and transaction control. */
const WRITES_NOTHING = /^\s*(?:select|begin|commit|end|rollback|savepoint|release)\b/i;

/**
 * The statements that write one named table, and that table's (possibly qualified) name. Linear:
 * inside a quoted name, a character is either not a quote or a doubled quote, never both.
 */
const WRITES_TABLE =
  // eslint-disable-next-line security/detect-unsafe-regex
  /^\s*(?:insert(?:\s+or\s+\w+)?\s+into|replace\s+into|update(?:\s+or\s+\w+)?|delete\s+from)\s+((?:"(?:[^"]|"")+"|\w+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|\w+))?)/i;

/**
 * The tables a SQL statement can write, read from its text: none for a read or transaction
 * control, the target of an insert, update or delete, and `all` for anything else (schema
 * changes, pragmas, common table expressions), which is the safe answer.
 */
export function tablesWrittenBy(sql: string): Writes {
  if (WRITES_NOTHING.test(sql)) return READS;
  const target = WRITES_TABLE.exec(sql)?.[1];
  if (target === undefined) return 'all';
  const name = target.split('.').at(-1)?.trim() ?? target;
  return [name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name];
}

/**
 * Tells whether a table may have changed since a moment, on the embedded database. The database
 * counts, per table, every statement this process runs that can write that table, whoever builds
 * it (a Kysely builder, a `sql` template, a query compiled once and run many times); a
 * statement whose target cannot be read from its text counts for every table. Rows a trigger or
 * a cascading foreign key writes are not seen: the schema's triggers only refuse changes, and
 * its one cascade (`security_alerts` to `alert_outbox`) reaches no table a cached view is built
 * from (change-tracker.test.ts checks both). Commits by any other connection to the file (a
 * `chefia` command) are seen through SQLite's `PRAGMA data_version`, which changes for exactly
 * those. That pragma opens a read transaction, whose file locks cost about a tenth of a cached
 * order read under load, so it is read once per event-loop turn: another process's commit is
 * seen from the next turn on.
 *
 * A version taken before a read and found unchanged later means nothing that read depends on
 * has been written since, or is being written: Kysely's SQLite driver runs one statement or
 * transaction at a time on its one connection, so a read outside a transaction waits for any
 * open transaction to end and sees committed rows only, and a write counted after the version
 * was taken makes the version differ.
 */
export class ChangeTracker {
  readonly #dataVersion: () => number;
  readonly #perTable = new Map<string, number>();
  #everyTable = 0;
  #otherConnections = 0;
  #lastDataVersion: number | undefined;
  #dataVersionReadThisTurn = false;

  /** `dataVersion` reads `PRAGMA data_version` on the connection this process writes through. */
  constructor(dataVersion: () => number) {
    this.#dataVersion = dataVersion;
  }

  /** A number that differs from any earlier one once any of `tables` may have changed. */
  versionOf(tables: readonly TableName[]): number {
    if (!this.#dataVersionReadThisTurn) this.#readDataVersion();
    let version = this.#everyTable + this.#otherConnections;
    for (const table of tables) version += this.#perTable.get(table) ?? 0;
    return version;
  }

  /** Counts a statement that is about to run on this process's connection. */
  statementRunning(writes: Writes): void {
    if (writes === 'all') {
      this.#everyTable += 1;
      return;
    }
    for (const table of writes) this.#perTable.set(table, (this.#perTable.get(table) ?? 0) + 1);
  }

  #readDataVersion(): void {
    const dataVersion = this.#dataVersion();
    if (dataVersion !== this.#lastDataVersion) {
      this.#lastDataVersion = dataVersion;
      this.#otherConnections += 1;
    }
    this.#dataVersionReadThisTurn = true;
    nextLoopTurn(() => {
      this.#dataVersionReadThisTurn = false;
    });
  }
}
