import type { Clock } from '../core/clock.js';
import type { IdGenerator } from '../core/ids.js';
import type { Database, Executor } from '../infra/db/database.js';
import type { AuditEventsTable } from '../infra/db/schema.js';
import { GENESIS_HASH, canonicalDetails, entryHash } from './chain.js';
import { type AuditEventInput, riskScore } from './events.js';
import { anonymizeIp, hashIp } from './ip.js';

export const SYSTEM_CHAIN = 'system';

/** Keys whose values must never reach the audit trail, whatever a caller passes. */
const FORBIDDEN_DETAIL_KEY =
  /password|secret|token|authorization|cookie|cardnumber|cvv|cvc|pinblock|trackdata|totp|^(pan|pin|otp|track\d?)$/i;

export interface AuditRecorderDeps {
  database: Database;
  clock: Clock;
  ids: IdGenerator;
  /** Key for the correlating hash of client addresses. */
  ipHashKey: Buffer;
}

/** What `record` wrote: enough for callers that raise alerts on high-risk entries. */
export type RecordedAuditEvent = AuditEventsTable;

/**
 * Writes audit entries inside the caller's transaction, so an entry exists exactly when the
 * change it records was committed. Entries of one restaurant form a hash chain.
 */
export class AuditRecorder {
  readonly #deps: AuditRecorderDeps;

  constructor(deps: AuditRecorderDeps) {
    this.#deps = deps;
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
      ip_hash: ip ? hashIp(this.#deps.ipHashKey, ip) : null,
      request_id: event.source?.requestId ?? null,
      resource_type: event.resource?.type ?? null,
      resource_id: event.resource?.id ?? null,
      risk_score: riskScore(event),
      details: canonicalDetails(safeDetails(event.details ?? {})),
      prev_hash: head.last_hash,
    };
    const entry = { ...unhashed, hash: entryHash(unhashed) };

    await tx.insertInto('audit_events').values(entry).execute();
    await tx
      .updateTable('audit_chain_heads')
      .set({ last_seq: entry.seq, last_hash: entry.hash })
      .where('chain_id', '=', chainId)
      .execute();
    return entry;
  }

  /**
   * Takes the chain head for this transaction. On PostgreSQL the row lock serializes writers of
   * one chain; SQLite serializes all writers already.
   */
  async #lockChainHead(tx: Executor, chainId: string) {
    await tx
      .insertInto('audit_chain_heads')
      .values({ chain_id: chainId, last_seq: 0, last_hash: GENESIS_HASH })
      .onConflict((oc) => oc.column('chain_id').doNothing())
      .execute();

    let query = tx.selectFrom('audit_chain_heads').selectAll().where('chain_id', '=', chainId);
    if (this.#deps.database.dialect === 'postgres') query = query.forUpdate();
    return query.executeTakeFirstOrThrow();
  }
}

function safeDetails(details: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(details).filter(([key]) => !FORBIDDEN_DETAIL_KEY.test(key)),
  );
}
