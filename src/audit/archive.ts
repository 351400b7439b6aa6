import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { Clock } from '../core/clock.js';
import type { IdGenerator } from '../core/ids.js';
import { conflict, validationError } from '../core/errors.js';
import type { Database, Executor } from '../infra/db/database.js';
import type { AuditEventsTable } from '../infra/db/schema.js';
import { inTransaction } from '../infra/db/transaction.js';
import { GENESIS_HASH, entryHash } from './chain.js';
import { SYSTEM_ACTOR } from './events.js';
import { SYSTEM_CHAIN, type AuditRecorder } from './recorder.js';
import { latestAnchor, listChains } from './verify.js';

/** Entries younger than this are never archived (SPEC 5.7: retention of at least 12 months). */
export const RETENTION_MONTHS = 12;

export const MANIFEST_FORMAT = 'chefia-audit-archive';

const PAGE_SIZE = 1000;

export interface ArchiveDeps {
  database: Database;
  keys: { auditChainKey: Buffer };
  clock: Clock;
  ids: IdGenerator;
  audit: AuditRecorder;
}

/** One chain's archived range, and the anchor verification starts from once it is pruned. */
export interface ArchivedChain {
  chainId: string;
  fromSeq: number;
  throughSeq: number;
  entryCount: number;
  /** The hash the first archived entry links to (the previous anchor or the genesis hash). */
  previousHash: string;
  /** The hash of the last archived entry. */
  anchorHash: string;
}

export interface ArchiveManifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  createdAt: string;
  before: string;
  /** The JSON-lines file, by name, beside the manifest. */
  file: string;
  /** SHA-256 (hex) of the JSON-lines file as written. */
  sha256: string;
  entryCount: number;
  chains: ArchivedChain[];
}

export interface ArchiveResult {
  manifest: ArchiveManifest;
  manifestPath: string;
  /** SHA-256 of the manifest file, also stored in each `audit_archives` row. */
  manifestSha256: string;
}

/** The newest cutoff the retention policy allows at `now`. */
export function latestAllowedCutoff(now: Date): Date {
  const cutoff = new Date(now);
  cutoff.setUTCMonth(cutoff.getUTCMonth() - RETENTION_MONTHS);
  return cutoff;
}

export const manifestPathFor = (out: string): string => `${out}.manifest.json`;

/**
 * Exports every chain's entries older than `before` to `out` (one JSON object per line, exactly
 * as stored, so each hash can be recomputed) with a manifest beside it, then, in one transaction,
 * records the archive anchors and prunes the exported entries. The database triggers let only
 * anchored entries be deleted, and verification continues from the anchor, so what remains still
 * verifies. A chain that does not verify up to the cutoff is not archived: pruning must not
 * launder tampering.
 */
export async function archiveAuditTrail(
  deps: ArchiveDeps,
  options: { before: Date; out: string },
): Promise<ArchiveResult | null> {
  const now = deps.clock.now();
  if (options.before.getTime() > latestAllowedCutoff(now).getTime()) {
    throw validationError([
      { path: 'before', message: `must be at least ${RETENTION_MONTHS} months in the past` },
    ]);
  }
  const manifestPath = manifestPathFor(options.out);
  if (existsSync(options.out) || existsSync(manifestPath)) {
    throw conflict('The archive file already exists; choose another name.');
  }

  const db = deps.database.kysely;
  const before = options.before.toISOString();
  const plan = await planArchive(db, before);
  if (plan.length === 0) return null;

  const { sha256, chains } = await exportEntries(
    db,
    deps.keys.auditChainKey,
    plan,
    `${options.out}.partial`,
  );
  const manifest: ArchiveManifest = {
    format: MANIFEST_FORMAT,
    version: 1,
    createdAt: now.toISOString(),
    before,
    file: path.basename(options.out),
    sha256,
    entryCount: chains.reduce((sum, chain) => sum + chain.entryCount, 0),
    chains,
  };
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  const manifestSha256 = createHash('sha256').update(manifestText).digest('hex');
  await writeFile(manifestPath, manifestText, { mode: 0o600, flag: 'wx' });
  await rename(`${options.out}.partial`, options.out);

  try {
    await inTransaction(deps.database, (tx) =>
      anchorAndPrune(deps, tx, { chains, before, manifestSha256 }),
    );
  } catch (error) {
    // Nothing was pruned: files that claim otherwise would mislead whoever finds them.
    await Promise.all([unlink(options.out), unlink(manifestPath)]).catch(() => undefined);
    throw error;
  }
  return { manifest, manifestPath, manifestSha256 };
}

interface PlannedChain {
  chainId: string;
  fromSeq: number;
  throughSeq: number;
  previousHash: string;
}

/**
 * Per chain, the range to archive: from after its latest anchor up to the entry before the first
 * one at or after the cutoff, so that an archive is always a prefix of what remains.
 */
async function planArchive(db: Executor, before: string): Promise<PlannedChain[]> {
  const plan: PlannedChain[] = [];
  for (const chainId of await listChains(db)) {
    const anchor = await latestAnchor(db, chainId);
    const fromSeq = (anchor?.through_seq ?? 0) + 1;
    const bounds = await db
      .selectFrom('audit_events')
      .select((eb) => [
        eb.fn.min(eb.case().when('occurred_at', '>=', before).then(eb.ref('seq')).end()).as('kept'),
        eb.fn.max('seq').as('last'),
      ])
      .where('chain_id', '=', chainId)
      .where('seq', '>=', fromSeq)
      .executeTakeFirst();
    if (!bounds || bounds.last === null) continue;

    const kept = bounds.kept === null ? null : Number(bounds.kept);
    const throughSeq = kept === null ? Number(bounds.last) : kept - 1;
    if (throughSeq < fromSeq) continue;
    plan.push({
      chainId,
      fromSeq,
      throughSeq,
      previousHash: anchor?.anchor_hash ?? GENESIS_HASH,
    });
  }
  return plan;
}

/** Writes the planned ranges as JSON lines, checking each link on the way. */
async function exportEntries(
  db: Executor,
  chainKey: Buffer,
  plan: PlannedChain[],
  file: string,
): Promise<{ sha256: string; chains: ArchivedChain[] }> {
  const hash = createHash('sha256');
  const handle = await open(file, 'wx', 0o600);
  const chains: ArchivedChain[] = [];
  try {
    for (const chain of plan) {
      let previousHash = chain.previousHash;
      let expectedSeq = chain.fromSeq;
      while (expectedSeq <= chain.throughSeq) {
        const page = await db
          .selectFrom('audit_events')
          .selectAll()
          .where('chain_id', '=', chain.chainId)
          .where('seq', '>=', expectedSeq)
          .where('seq', '<=', chain.throughSeq)
          .orderBy('seq', 'asc')
          .limit(PAGE_SIZE)
          .execute();
        if (page.length === 0) throw brokenChain();

        for (const entry of page) {
          if (!followsFrom(chainKey, entry, expectedSeq, previousHash)) throw brokenChain();
          previousHash = entry.hash;
          expectedSeq += 1;
        }
        const lines = page.map((entry) => `${JSON.stringify(entry)}\n`).join('');
        hash.update(lines);
        await handle.write(lines);
      }
      chains.push({
        chainId: chain.chainId,
        fromSeq: chain.fromSeq,
        throughSeq: chain.throughSeq,
        entryCount: chain.throughSeq - chain.fromSeq + 1,
        previousHash: chain.previousHash,
        anchorHash: previousHash,
      });
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(file).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return { sha256: hash.digest('hex'), chains };
}

function followsFrom(
  chainKey: Buffer,
  entry: AuditEventsTable,
  seq: number,
  previousHash: string,
): boolean {
  const { hash, ...rest } = entry;
  return (
    entry.seq === seq && entry.prev_hash === previousHash && entryHash(chainKey, rest) === hash
  );
}

const brokenChain = () =>
  conflict('An audit chain does not verify up to the cutoff; nothing was archived.');

/**
 * Records each chain's anchor, deletes the exported entries and appends an `audit.archive` entry
 * to the chain, all in one transaction. The chain head is locked first, so two archives of one
 * chain cannot interleave; an anchor that moved since planning aborts the whole archive.
 */
async function anchorAndPrune(
  deps: ArchiveDeps,
  tx: Executor,
  archive: { chains: ArchivedChain[]; before: string; manifestSha256: string },
): Promise<void> {
  const now = deps.clock.now().toISOString();
  for (const chain of archive.chains) {
    let head = tx
      .selectFrom('audit_chain_heads')
      .select('chain_id')
      .where('chain_id', '=', chain.chainId);
    if (deps.database.dialect === 'postgres') head = head.forUpdate();
    await head.executeTakeFirst();

    const anchor = await latestAnchor(tx, chain.chainId);
    if ((anchor?.through_seq ?? 0) !== chain.fromSeq - 1) {
      throw conflict('Another archive changed the audit trail meanwhile; nothing was archived.');
    }

    await tx
      .insertInto('audit_archives')
      .values({
        id: deps.ids(),
        chain_id: chain.chainId,
        through_seq: chain.throughSeq,
        anchor_hash: chain.anchorHash,
        before: archive.before,
        entry_count: chain.entryCount,
        manifest_sha256: archive.manifestSha256,
        created_at: now,
      })
      .execute();
    const deleted = await tx
      .deleteFrom('audit_events')
      .where('chain_id', '=', chain.chainId)
      .where('seq', '>=', chain.fromSeq)
      .where('seq', '<=', chain.throughSeq)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) !== chain.entryCount) throw brokenChain();

    await deps.audit.record(tx, {
      type: 'object_deleted',
      action: 'audit.archive',
      outcome: 'success',
      restaurantId: chain.chainId === SYSTEM_CHAIN ? null : chain.chainId,
      actor: SYSTEM_ACTOR,
      resource: { type: 'audit_events', id: chain.chainId },
      details: {
        throughSeq: chain.throughSeq,
        entryCount: chain.entryCount,
        manifestSha256: archive.manifestSha256,
        before: archive.before,
      },
    });
  }
}
