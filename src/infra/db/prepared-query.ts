import { createQueryId, sql, type Compilable, type RootOperationNode } from 'kysely';

import type { Executor } from './database.js';
import type { DatabaseSchema, TableName } from './schema.js';

/**
 * Queries built and compiled once per dialect, then run many times with new values. Kysely
 * builds an immutable tree and compiles it to SQL on every call: 5–18 µs a statement on the
 * benchmark machine, about a fifth of an order's CPU over the statements creating one runs.
 * Only a query whose SQL does not depend on its values can be prepared: no lists of varying
 * length, no clauses added or left out by value.
 */

interface Compiled {
  sql: string;
  query: RootOperationNode;
  /** Where each parameter comes from: a named value, or a constant of the query itself. */
  slots: readonly ({ name: string } | { constant: unknown })[];
}

/**
 * The placeholder style of `executor`'s dialect (`?` or `$1`), read once per executor: the key
 * under which compiled SQL is kept. Kysely offers no public way to ask an executor its dialect,
 * and compiling a one-value template is the cheapest question that answers it.
 */
const dialectKeys = new WeakMap<Executor, string>();

function dialectKeyOf(executor: Executor): string {
  let key = dialectKeys.get(executor);
  if (key === undefined) {
    key = sql`${0}`.compile(executor).sql;
    dialectKeys.set(executor, key);
  }
  return key;
}

/** Markers stand for named values while a query compiles; no stored value can look like one. */
const MARKER_PREFIX = '\u0000prepared-value:';

function compileOnce(
  build: (value: (name: string) => never) => Compilable<unknown>,
  executorKey: string,
): Compiled {
  const query = build((name) => `${MARKER_PREFIX}${name}` as never).compile();
  const slots = query.parameters.map((parameter) =>
    typeof parameter === 'string' && parameter.startsWith(MARKER_PREFIX)
      ? { name: parameter.slice(MARKER_PREFIX.length) }
      : { constant: parameter },
  );
  // A value the compiler wrote into the SQL text instead of a parameter could not be replaced.
  if (query.sql.includes(MARKER_PREFIX)) {
    throw new Error(`A prepared query inlined one of its values (${executorKey}).`);
  }
  return { sql: query.sql, query: query.query, slots };
}

async function run<Row>(
  executor: Executor,
  compiled: Compiled,
  values: Readonly<Record<string, unknown>>,
): Promise<Row[]> {
  const parameters = compiled.slots.map((slot) =>
    'name' in slot ? (values[slot.name] ?? null) : slot.constant,
  );
  const result = await executor.executeQuery<Row>({
    sql: compiled.sql,
    query: compiled.query,
    queryId: createQueryId(),
    parameters,
  });
  return result.rows;
}

/**
 * A query with named values, e.g.
 * `new PreparedQuery((db, value) => db.selectFrom('orders').selectAll().where('id', '=', value('id')))`.
 * `value(name)` stands for the value given under `name` at each run.
 */
export class PreparedQuery<Values extends Record<string, unknown>, Row> {
  readonly #build: (
    db: Executor,
    value: <Name extends keyof Values & string>(name: Name) => Values[Name],
  ) => Compilable<Row>;
  readonly #compiled = new Map<string, Compiled>();

  constructor(
    build: (
      db: Executor,
      value: <Name extends keyof Values & string>(name: Name) => Values[Name],
    ) => Compilable<Row>,
  ) {
    this.#build = build;
  }

  /** The rows the query returns (none for a write without `returning`). */
  async execute(executor: Executor, values: Values): Promise<Row[]> {
    const key = dialectKeyOf(executor);
    let compiled = this.#compiled.get(key);
    if (!compiled) {
      compiled = compileOnce((value) => this.#build(executor, value), key);
      this.#compiled.set(key, compiled);
    }
    return run<Row>(executor, compiled, values);
  }

  async executeTakeFirst(executor: Executor, values: Values): Promise<Row | undefined> {
    return (await this.execute(executor, values))[0];
  }
}

/**
 * An insert of one row into `table`, compiled once per dialect and set of columns given (a
 * column left `undefined` is left out, as Kysely leaves it out).
 */
export class PreparedInsert<Table extends TableName> {
  readonly #table: Table;
  readonly #compiled = new Map<string, Compiled>();

  constructor(table: Table) {
    this.#table = table;
  }

  async execute(executor: Executor, row: Readonly<Partial<DatabaseSchema[Table]>>): Promise<void> {
    const values = row as Readonly<Record<string, unknown>>;
    const columns = Object.keys(values).filter((column) => values[column] !== undefined);
    const key = `${dialectKeyOf(executor)} ${columns.join(',')}`;
    let compiled = this.#compiled.get(key);
    if (!compiled) {
      compiled = compileOnce(
        (value) =>
          executor
            .insertInto(this.#table)
            .values(Object.fromEntries(columns.map((column) => [column, value(column)])) as never),
        key,
      );
      this.#compiled.set(key, compiled);
    }
    await run(executor, compiled, values);
  }
}
