import {
  AliasNode,
  TableNode,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';

import type { DatabaseSchema } from './schema.js';

/** Read before fake timers replace it in tests: the turn must really end. */
const nextLoopTurn = globalThis.setImmediate.bind(globalThis);

export type TableName = Extract<keyof DatabaseSchema, string>;

/**
 * Tells whether a table may have changed since a moment, on the embedded database. It counts,
 * per table, every statement this process sends that can write that table, as Kysely compiles
 * it (before it runs); a statement whose tables cannot be read from its tree (raw SQL other
 * than a SELECT, schema changes) counts for every table. Commits by any other connection to the
 * file (a `chefia` command) are seen through SQLite's `PRAGMA data_version`, which changes for
 * exactly those. That pragma opens a read transaction, whose file locks cost about a tenth of a
 * cached order read under load, so it is read once per event-loop turn: another process's
 * commit is seen from the next turn on.
 *
 * It sees what Kysely compiles: every builder query and every `sql` template run through the
 * database. A `CompiledQuery` handed straight to `executeQuery` skips plugins and would go
 * unseen; nothing here does that.
 *
 * A version taken before a read and found unchanged later means nothing that read depends on
 * has been written since, or is being written: Kysely's SQLite driver runs one statement or
 * transaction at a time on its one connection, so a read outside a transaction waits for any
 * open transaction to end and sees committed rows only, and a write counted after the version
 * was taken makes the version differ.
 */
export class ChangeTracker implements KyselyPlugin {
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

  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    const written = tablesWrittenBy(node);
    if (written === 'all') this.#everyTable += 1;
    else
      for (const table of written) this.#perTable.set(table, (this.#perTable.get(table) ?? 0) + 1);
    return node;
  }

  transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(result);
  }
}

/** The tables a statement can write: none for a read, `all` when its tree does not say. */
export function tablesWrittenBy(node: RootOperationNode): readonly string[] | 'all' {
  switch (node.kind) {
    case 'SelectQueryNode':
      return [];
    case 'InsertQueryNode':
      return node.into ? namesOf([node.into]) : 'all';
    case 'UpdateQueryNode':
      return node.table ? namesOf([node.table, ...(node.from?.froms ?? [])]) : 'all';
    case 'DeleteQueryNode':
      return namesOf(node.from.froms);
    case 'MergeQueryNode':
      return namesOf([node.into]);
    case 'RawNode': {
      const text = node.sqlFragments.join('').trimStart().slice(0, 6).toLowerCase();
      return text === 'select' ? [] : 'all';
    }
    default:
      return 'all';
  }
}

function namesOf(nodes: readonly OperationNode[]): readonly string[] | 'all' {
  const names: string[] = [];
  for (const node of nodes) {
    const name = tableNameOf(node);
    if (name === undefined) return 'all';
    names.push(name);
  }
  return names;
}

function tableNameOf(node: OperationNode): string | undefined {
  if (AliasNode.is(node)) return tableNameOf(node.node);
  return TableNode.is(node) ? node.table.identifier.name : undefined;
}
