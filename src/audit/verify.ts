import type { Executor } from '../infra/db/database.js';
import { GENESIS_HASH, entryHash } from './chain.js';

export interface ChainBreak {
  seq: number;
  entryId: string | null;
  reason: 'hash_mismatch' | 'broken_link' | 'sequence_gap' | 'head_mismatch';
}

export interface ChainVerification {
  chainId: string;
  ok: boolean;
  checked: number;
  firstBreak: ChainBreak | null;
}

interface Anchor {
  through_seq: number;
  anchor_hash: string;
}

const PAGE_SIZE = 1000;
/** Walks restarted because an archive pruned the chain meanwhile; more means something is off. */
const MAX_RESTARTS = 2;

/**
 * Walks one chain in sequence order, from its latest archive anchor (or the genesis hash), and
 * names the first entry that does not follow from the one before it. An edited entry fails its
 * own hash; a deleted, inserted or reordered one breaks the sequence or the link; a truncated
 * tail no longer matches the chain head.
 *
 * It reads no transaction snapshot (on SQLite that would hold the only connection for the whole
 * walk); instead it reads the head first and walks only up to it, so entries appended meanwhile
 * cannot look like a break, and it walks again when an archive moved the anchor under it.
 */
export async function verifyChain(
  db: Executor,
  chainKey: Buffer,
  chainId: string,
): Promise<ChainVerification> {
  for (let restarts = 0; ; restarts += 1) {
    const anchor = await latestAnchor(db, chainId);
    const result = await walkChain(db, chainKey, chainId, anchor);
    if (result.ok || restarts >= MAX_RESTARTS) return result;

    const now = await latestAnchor(db, chainId);
    if (now?.through_seq === anchor?.through_seq) return result;
  }
}

async function walkChain(
  db: Executor,
  chainKey: Buffer,
  chainId: string,
  anchor: Anchor | undefined,
): Promise<ChainVerification> {
  const head = await db
    .selectFrom('audit_chain_heads')
    .selectAll()
    .where('chain_id', '=', chainId)
    .executeTakeFirst();

  let expectedSeq = (anchor?.through_seq ?? 0) + 1;
  let previousHash = anchor?.anchor_hash ?? GENESIS_HASH;
  let checked = 0;

  for (;;) {
    let query = db
      .selectFrom('audit_events')
      .selectAll()
      .where('chain_id', '=', chainId)
      .where('seq', '>=', expectedSeq)
      .orderBy('seq', 'asc')
      .limit(PAGE_SIZE);
    if (head) query = query.where('seq', '<=', head.last_seq);
    const page = await query.execute();

    for (const entry of page) {
      const failure = (reason: ChainBreak['reason']): ChainVerification => ({
        chainId,
        ok: false,
        checked,
        firstBreak: { seq: expectedSeq, entryId: entry.id, reason },
      });
      if (entry.seq !== expectedSeq) return failure('sequence_gap');
      if (entry.prev_hash !== previousHash) return failure('broken_link');
      const { hash, ...rest } = entry;
      // Chain hashes are public values, not secrets: a plain comparison leaks nothing.
      // eslint-disable-next-line security/detect-possible-timing-attacks
      if (entryHash(chainKey, rest) !== hash) return failure('hash_mismatch');

      previousHash = hash;
      expectedSeq += 1;
      checked += 1;
    }
    if (page.length < PAGE_SIZE) break;
  }

  // Every chain that has entries has a head; entries without one mean the head was removed.
  const headMatches = head
    ? head.last_seq === expectedSeq - 1 && head.last_hash === previousHash
    : checked === 0;
  const headBreak = (seq: number): ChainVerification => ({
    chainId,
    ok: false,
    checked,
    firstBreak: { seq, entryId: null, reason: 'head_mismatch' },
  });
  if (!headMatches) return headBreak(expectedSeq);

  const beyond = await entriesBeyondHead(db, chainId);
  if (beyond !== null) return headBreak(beyond);
  return { chainId, ok: true, checked, firstBreak: null };
}

/**
 * An entry and its head update commit together, so once the head is re-read after the newest
 * sequence number, no entry may lie beyond it; one that does was appended behind the recorder's
 * back. Returns the first sequence number past the head, or `null`.
 */
async function entriesBeyondHead(db: Executor, chainId: string): Promise<number | null> {
  const tail = await db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.max('seq').as('maxSeq'))
    .where('chain_id', '=', chainId)
    .executeTakeFirst();
  const head = await db
    .selectFrom('audit_chain_heads')
    .select('last_seq')
    .where('chain_id', '=', chainId)
    .executeTakeFirst();
  const lastSeq = head?.last_seq ?? 0;
  const maxSeq = tail?.maxSeq === null || tail?.maxSeq === undefined ? 0 : Number(tail.maxSeq);
  return maxSeq > lastSeq ? lastSeq + 1 : null;
}

/** The newest archive of a chain: where verification starts once older entries are pruned. */
export async function latestAnchor(db: Executor, chainId: string): Promise<Anchor | undefined> {
  return db
    .selectFrom('audit_archives')
    .select(['through_seq', 'anchor_hash'])
    .where('chain_id', '=', chainId)
    .orderBy('through_seq', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Every chain in the database, for a deployment-wide check. */
export async function listChains(db: Executor): Promise<string[]> {
  const rows = await db.selectFrom('audit_chain_heads').select('chain_id').execute();
  return rows.map((row) => row.chain_id);
}
