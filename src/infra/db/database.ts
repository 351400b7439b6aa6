import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import SQLite from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import {
  Kysely,
  PostgresDialect,
  SqliteDialect,
  type SqliteDatabase,
  type Transaction,
} from 'kysely';
import pg from 'pg';

import { ChangeTracker, tablesWrittenBy, type Writes } from './change-tracker.js';
import { GroupCommit } from './group-commit.js';
import type { DatabaseSchema } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

/** A query executor: the database itself or an open transaction. */
export type Executor = Kysely<DatabaseSchema> | Transaction<DatabaseSchema>;

/** The connection to the business database, whichever dialect it uses. */
export interface Database {
  readonly kysely: Kysely<DatabaseSchema>;
  readonly dialect: DialectName;
  /**
   * On the embedded database, which only this process and the `chefia` commands write: says
   * whether tables changed since a moment, for views kept in memory. `null` on PostgreSQL, where
   * other servers write unseen.
   */
  readonly changes: ChangeTracker | null;
  /** Runs `work` in one transaction; resolves once what it wrote is committed. */
  transaction<T>(work: (tx: Transaction<DatabaseSchema>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL URL; when absent the embedded SQLite file in `dataDir` is used. */
  url?: string;
  dataDir: string;
  tls?: 'off' | 'require' | 'verify';
  poolSize?: number;
  /** SQLite file name inside the data directory. */
  sqliteFile?: string;
  /**
   * Told when an idle PostgreSQL connection fails (server restart, administrator command). The
   * pool drops that connection and opens a new one on the next query, so the process carries on.
   */
  onConnectionError?: (error: Error) => void;
}

export const SQLITE_FILE_NAME = 'chefia.db';

/** Opens the business database named by the options. */
export function openDatabase(options: DatabaseOptions): Database {
  return options.url ? openPostgres(options.url, options) : openSqlite(options);
}

function openSqlite(options: DatabaseOptions): Database {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(options.dataDir, options.sqliteFile ?? SQLITE_FILE_NAME);
  const connection = new SQLite(file);
  // Owner-only, like the keys beside it; SQLite gives its -wal and -shm files the database
  // file's permissions, so they follow once WAL mode creates them below.
  chmodSync(file, 0o600);

  // WAL lets readers run beside the writer; synchronous=FULL makes every acknowledged commit
  // durable across a power cut (NORMAL would only survive a process crash in WAL mode).
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = FULL');
  connection.pragma('foreign_keys = ON');
  // The CLI works on the same file while a server runs; wait for its lock instead of failing.
  connection.pragma('busy_timeout = 5000');

  const dataVersion = connection.prepare('PRAGMA data_version').pluck();
  const changes = new ChangeTracker(() => dataVersion.get() as number);
  const kysely = new Kysely<DatabaseSchema>({
    dialect: new SqliteDialect({ database: withStatementCache(connection, changes) }),
  });
  const commits = new GroupCommit(kysely);
  return {
    kysely,
    dialect: 'sqlite',
    changes,
    transaction: (work) => commits.run(work),
    async close() {
      await commits.idle();
      await kysely.destroy();
    },
  };
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query it runs, and better-sqlite3 compiles SQL on each prepare. Queries
 * are parameterized, so the same SQL text recurs; reusing its compiled statement (least recently
 * used first out) removes most of that cost. SQLite recompiles a cached statement by itself when
 * the schema changes.
 *
 * Kysely's SQLite connection prepares each statement right before it runs it, so this is also
 * where `changes` counts what every statement can write, whichever way it was built.
 */
function withStatementCache(connection: SQLite.Database, changes: ChangeTracker): SqliteDatabase {
  const cache = new LRUCache<string, { statement: SQLite.Statement; writes: Writes }>({
    max: STATEMENT_CACHE_SIZE,
  });
  return {
    close: () => connection.close(),
    prepare(sql: string) {
      let prepared = cache.get(sql);
      if (!prepared) {
        prepared = { statement: connection.prepare(sql), writes: tablesWrittenBy(sql) };
        cache.set(sql, prepared);
      }
      changes.statementRunning(prepared.writes);
      return prepared.statement;
    },
  };
}

function openPostgres(url: string, options: DatabaseOptions): Database {
  const ssl =
    options.tls === 'verify'
      ? { rejectUnauthorized: true }
      : options.tls === 'require'
        ? { rejectUnauthorized: false }
        : undefined;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(ssl ? { ssl } : {}),
  });
  // Without a listener, node-postgres rethrows an idle connection's error as an uncaught
  // exception and takes the whole server down with it.
  pool.on('error', (error) => options.onConnectionError?.(error));
  const kysely = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  return {
    kysely,
    dialect: 'postgres',
    changes: null,
    // The server groups concurrent commits itself, and the pool runs transactions side by side.
    transaction: (work) => kysely.transaction().execute(work),
    close: () => kysely.destroy(),
  };
}
