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

const PAGE_SIZE = 1000;

/**
 * Walks one chain in sequence order and names the first entry that does not follow from the one
 * before it. An edited entry fails its own hash; a deleted, inserted or reordered one breaks the
 * sequence or the link; a truncated tail no longer matches the chain head.
 */
export async function verifyChain(db: Executor, chainId: string): Promise<ChainVerification> {
  const anchor = await db
    .selectFrom('audit_archives')
    .select(['through_seq', 'anchor_hash'])
    .where('chain_id', '=', chainId)
    .orderBy('through_seq', 'desc')
    .limit(1)
    .executeTakeFirst();

  let expectedSeq = (anchor?.through_seq ?? 0) + 1;
  let previousHash = anchor?.anchor_hash ?? GENESIS_HASH;
  let checked = 0;

  for (;;) {
    const page = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('chain_id', '=', chainId)
      .where('seq', '>=', expectedSeq)
      .orderBy('seq', 'asc')
      .limit(PAGE_SIZE)
      .execute();

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
      // Both sides are hashes of stored, non-secret data: timing reveals nothing.
      // eslint-disable-next-line security/detect-possible-timing-attacks
      if (entryHash(rest) !== hash) return failure('hash_mismatch');

      previousHash = hash;
      expectedSeq += 1;
      checked += 1;
    }
    if (page.length < PAGE_SIZE) break;
  }

  const head = await db
    .selectFrom('audit_chain_heads')
    .selectAll()
    .where('chain_id', '=', chainId)
    .executeTakeFirst();
  if (head && (head.last_seq !== expectedSeq - 1 || head.last_hash !== previousHash)) {
    return {
      chainId,
      ok: false,
      checked,
      firstBreak: { seq: expectedSeq, entryId: null, reason: 'head_mismatch' },
    };
  }
  return { chainId, ok: true, checked, firstBreak: null };
}

/** Every chain in the database, for a deployment-wide check. */
export async function listChains(db: Executor): Promise<string[]> {
  const rows = await db.selectFrom('audit_chain_heads').select('chain_id').execute();
  return rows.map((row) => row.chain_id);
}
