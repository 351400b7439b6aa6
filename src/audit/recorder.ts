import { LRUCache } from 'lru-cache';

import type { Clock } from '../core/clock.js';
import type { IdGenerator } from '../core/ids.js';
import type { Database, Executor } from '../infra/db/database.js';
import { PreparedInsert, PreparedQuery } from '../infra/db/prepared-query.js';
import type { AuditChainHeadsTable, AuditEventsTable } from '../infra/db/schema.js';
import { GENESIS_HASH, canonicalDetails, entryHash } from './chain.js';
import { allowedDetails } from './detail-allow-list.js';
import { ALERT_RISK_THRESHOLD, type AuditEventInput, riskScore } from './events.js';
import { anonymizeIp, hashIp } from './ip.js';

export const SYSTEM_CHAIN = 'system';

// Every audited change runs these, compiled once (see prepared-query.ts).
const chainHead = (db: Executor, value: (name: 'chainId') => string) =>
  db.selectFrom('audit_chain_heads').selectAll().where('chain_id', '=', value('chainId'));
const CHAIN_HEAD = new PreparedQuery<{ chainId: string }, AuditChainHeadsTable>(chainHead);
const CHAIN_HEAD_FOR_UPDATE = new PreparedQuery<{ chainId: string }, AuditChainHeadsTable>(
  (db, value) => chainHead(db, value).forUpdate(),
);
const ADVANCE_CHAIN_HEAD = new PreparedQuery<
  { chainId: string; lastSeq: number; lastHash: string },
  unknown
>((db, value) =>
  db
    .updateTable('audit_chain_heads')
    .set({ last_seq: value('lastSeq'), last_hash: value('lastHash') })
    .where('chain_id', '=', value('chainId')),
);
const INSERT_ENTRY = new PreparedInsert('audit_events');

/** What `record` wrote: enough for callers that raise alerts on high-risk entries. */
export type RecordedAuditEvent = AuditEventsTable;

/** Stores an alert for a high-risk entry, in the transaction that wrote the entry. */
export interface AlertSink {
  raise(tx: Executor, entry: RecordedAuditEvent): Promise<void>;
}

export interface AuditRecorderDeps {
  database: Database;
  clock: Clock;
  ids: IdGenerator;
  /** Key for the correlating hash of client addresses. */
  ipHashKey: Buffer;
  /** Key of the hash chain (`entryHash`). */
  chainKey: Buffer;
  /** Where entries above the alert threshold raise their alert. */
  alerts?: AlertSink;
  /** Told about every entry written (metrics); must not throw. */
  observe?: (entry: RecordedAuditEvent) => void;
}

/**
 * Writes audit entries inside the caller's transaction, so an entry exists exactly when the
 * change it records was committed. Entries of one restaurant form a hash chain.
 */
export class AuditRecorder {
  readonly #deps: AuditRecorderDeps;
  /**
   * A restaurant's terminals are a handful of addresses, and keying an HMAC for each entry was
   * a fiftieth of an order's CPU time; the hash of an address never changes under one key.
   */
  readonly #ipHashes = new LRUCache<string, string>({ max: 4_096 });

  constructor(deps: AuditRecorderDeps) {
    this.#deps = deps;
  }

  #ipHashOf(ip: string): string {
    const known = this.#ipHashes.get(ip);
    if (known) return known;

    const hash = hashIp(this.#deps.ipHashKey, ip);
    this.#ipHashes.set(ip, hash);
    return hash;
  }

  /** Appends one event to its restaurant's chain within `tx`. */
  async record(tx: Executor, event: AuditEventInput): Promise<RecordedAuditEvent> {
    const chainId = event.restaurantId ?? SYSTEM_CHAIN;
    const head = await this.#lockChainHead(tx, chainId);
    const ip = event.source?.ip ?? null;

    const unhashed: Omit<AuditEventsTable, 'hash'> = {
      id: this.#deps.ids(),
      chain_id: chainId,
      seq: head.last_seq + 1,
      restaurant_id: event.restaurantId,
      occurred_at: this.#deps.clock.now().toISOString(),
      event_type: event.type,
      action: event.action,
      outcome: event.outcome,
      actor_type: event.actor.type,
      actor_id: event.actor.id ?? null,
      actor_role: event.actor.role ?? null,
      ip_prefix: ip ? anonymizeIp(ip) : null,
      ip_hash: ip ? this.#ipHashOf(ip) : null,
      request_id: event.source?.requestId ?? null,
      resource_type: event.resource?.type ?? null,
      resource_id: event.resource?.id ?? null,
      risk_score: riskScore(event),
      details: canonicalDetails(allowedDetails(event.action, event.details ?? {})),
      prev_hash: head.last_hash,
    };
    const entry = { ...unhashed, hash: entryHash(this.#deps.chainKey, unhashed) };

    await INSERT_ENTRY.execute(tx, entry);
    await ADVANCE_CHAIN_HEAD.execute(tx, {
      chainId,
      lastSeq: entry.seq,
      lastHash: entry.hash,
    });

    // Same transaction: the alert (and its webhook outbox row) exists exactly when the entry does,
    // so a crash before delivery loses nothing and a rollback raises nothing.
    if (entry.risk_score > ALERT_RISK_THRESHOLD) await this.#deps.alerts?.raise(tx, entry);
    this.#deps.observe?.(entry);
    return entry;
  }

  /**
   * Takes the chain head for this transaction. On PostgreSQL the row lock serializes writers of
   * one chain; SQLite serializes all writers already. A chain's first entry creates its head;
   * every later one finds it with the single read.
   */
  async #lockChainHead(tx: Executor, chainId: string) {
    const existing = await this.#readChainHead(tx, chainId);
    if (existing) return existing;
    await tx
      .insertInto('audit_chain_heads')
      .values({ chain_id: chainId, last_seq: 0, last_hash: GENESIS_HASH })
      .onConflict((oc) => oc.column('chain_id').doNothing())
      .execute();
    const created = await this.#readChainHead(tx, chainId);
    if (!created) throw new Error('The audit chain head could not be created.');
    return created;
  }

  async #readChainHead(tx: Executor, chainId: string) {
    const query = this.#deps.database.dialect === 'postgres' ? CHAIN_HEAD_FOR_UPDATE : CHAIN_HEAD;
    return query.executeTakeFirst(tx, { chainId });
  }
}
