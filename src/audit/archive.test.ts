import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../test/helpers/app.js';
import { testDialects } from '../../test/helpers/database.js';
import { AppError } from '../core/errors.js';
import type { AuditEventsTable } from '../infra/db/schema.js';
import { inTransaction } from '../infra/db/transaction.js';
import { archiveAuditTrail, manifestPathFor, type ArchiveManifest } from './archive.js';
import { GENESIS_HASH, entryHash } from './chain.js';
import type { AuditEventInput } from './events.js';
import { SYSTEM_CHAIN } from './recorder.js';
import { verifyChain } from './verify.js';

const NOW = '2026-01-15T12:00:00.000Z';

function userDisabled(restaurantId: string | null, step: number): AuditEventInput {
  return {
    type: 'data_modification',
    action: 'user.disable',
    outcome: 'success',
    restaurantId,
    actor: { type: 'user', id: 'admin-1', role: 'admin' },
    resource: { type: 'user', id: `user-${step}` },
    details: { sessionsRevoked: step },
  };
}

function harness(t: TestApp) {
  const db = t.context.database.kysely;
  return {
    db,
    chainKey: t.context.keys.auditChainKey,
    async recordAt(at: string, restaurantId: string | null, count: number) {
      t.clock.set(at);
      for (let i = 0; i < count; i += 1) {
        await inTransaction(t.context.database, (tx) =>
          t.context.audit.record(tx, userDisabled(restaurantId, i + 1)),
        );
      }
      t.clock.set(NOW);
    },
    entries: (chainId: string) =>
      db
        .selectFrom('audit_events')
        .selectAll()
        .where('chain_id', '=', chainId)
        .orderBy('seq')
        .execute(),
    archive: (before: string, name = `${randomUUID()}.jsonl`) =>
      archiveAuditTrail(t.context, {
        before: new Date(before),
        out: path.join(t.dataDir, name),
      }),
    out: (name: string) => path.join(t.dataDir, name),
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof AppError)) throw new Error('expected an AppError');
  return error;
}

describe.each(testDialects())('audit archive on %s', (dialect) => {
  describe('exporting and pruning', () => {
    let t: TestApp;
    let h: ReturnType<typeof harness>;
    const restaurantId = randomUUID();

    beforeAll(async () => {
      t = await buildTestApp({ dialect });
      h = harness(t);
      await h.recordAt('2024-01-10T09:00:00.000Z', restaurantId, 3);
      await h.recordAt('2024-01-11T09:00:00.000Z', null, 2);
      await h.recordAt('2024-06-01T09:00:00.000Z', restaurantId, 2);
      await h.recordAt('2025-12-01T09:00:00.000Z', restaurantId, 1);
    });
    afterAll(() => t.close());

    it('refuses a cutoff less than 12 months ago, writing nothing', async () => {
      const name = 'too-recent.jsonl';

      const error = await refusal(h.archive('2025-02-01T00:00:00.000Z', name));

      expect(error.code).toBe('POS_ERR_VALIDATION');
      expect(error.fields?.[0]?.path).toBe('before');
      expect(existsSync(h.out(name))).toBe(false);
      expect(existsSync(manifestPathFor(h.out(name)))).toBe(false);
      expect(await h.entries(restaurantId)).toHaveLength(6);
    });

    it('answers null and writes no file when nothing is old enough', async () => {
      const name = 'nothing.jsonl';
      expect(await h.archive('2023-01-01T00:00:00.000Z', name)).toBeNull();
      expect(existsSync(h.out(name))).toBe(false);
    });

    it('exports the old prefix of every chain as JSON lines with a manifest, then prunes it', async () => {
      const before = await h.entries(restaurantId);
      const systemBefore = await h.entries(SYSTEM_CHAIN);

      const result = await h.archive('2024-03-01T00:00:00.000Z', 'first.jsonl');

      const manifest = result?.manifest as ArchiveManifest;
      const jsonl = readFileSync(h.out('first.jsonl'), 'utf8');
      const lines = jsonl.trimEnd().split('\n');
      const exported = lines.map((line) => JSON.parse(line) as AuditEventsTable);
      const manifestText = readFileSync(manifestPathFor(h.out('first.jsonl')), 'utf8');

      expect(JSON.parse(manifestText)).toEqual(manifest);
      expect(result?.manifestSha256).toBe(sha256(manifestText));
      expect(manifest).toMatchObject({
        format: 'chefia-audit-archive',
        version: 1,
        before: '2024-03-01T00:00:00.000Z',
        file: 'first.jsonl',
        sha256: sha256(jsonl),
        entryCount: 5,
      });
      expect(manifest.chains).toEqual(
        expect.arrayContaining([
          {
            chainId: restaurantId,
            fromSeq: 1,
            throughSeq: 3,
            entryCount: 3,
            previousHash: GENESIS_HASH,
            anchorHash: before[2]?.hash,
          },
          {
            chainId: SYSTEM_CHAIN,
            fromSeq: 1,
            throughSeq: 2,
            entryCount: 2,
            previousHash: GENESIS_HASH,
            anchorHash: systemBefore[1]?.hash,
          },
        ]),
      );
      expect(manifest.chains).toHaveLength(2);

      // Every exported line is the stored row, whose hash can be recomputed offline.
      expect(exported).toHaveLength(5);
      expect(exported.filter((e) => e.chain_id === restaurantId)).toEqual(before.slice(0, 3));
      for (const { hash, ...rest } of exported)
        expect(entryHash(t.context.keys.auditChainKey, rest)).toBe(hash);

      const anchors = await h.db
        .selectFrom('audit_archives')
        .selectAll()
        .where('chain_id', '=', restaurantId)
        .execute();
      expect(anchors).toEqual([
        expect.objectContaining({
          through_seq: 3,
          anchor_hash: before[2]?.hash,
          entry_count: 3,
          manifest_sha256: result?.manifestSha256,
          before: '2024-03-01T00:00:00.000Z',
        }),
      ]);

      const remaining = await h.entries(restaurantId);
      expect(remaining.map((e) => e.seq)).toEqual([4, 5, 6, 7]);
      expect(remaining.at(-1)).toMatchObject({
        action: 'audit.archive',
        event_type: 'object_deleted',
        actor_type: 'system',
      });
      expect(JSON.parse(remaining.at(-1)?.details ?? '{}')).toEqual({
        throughSeq: 3,
        entryCount: 3,
        manifestSha256: result?.manifestSha256,
        before: '2024-03-01T00:00:00.000Z',
      });
      expect(await verifyChain(h.db, h.chainKey, restaurantId)).toEqual({
        chainId: restaurantId,
        ok: true,
        checked: 4,
        firstBreak: null,
      });
      expect((await verifyChain(h.db, h.chainKey, SYSTEM_CHAIN)).ok).toBe(true);
    });

    it('archives again from the previous anchor, and the rest still verifies', async () => {
      const result = await h.archive('2024-12-01T00:00:00.000Z', 'second.jsonl');

      const chain = result?.manifest.chains.find((c) => c.chainId === restaurantId);
      const firstAnchor = (
        JSON.parse(readFileSync(manifestPathFor(h.out('first.jsonl')), 'utf8')) as ArchiveManifest
      ).chains.find((c) => c.chainId === restaurantId);

      expect(chain).toMatchObject({ fromSeq: 4, throughSeq: 5, entryCount: 2 });
      expect(chain?.previousHash).toBe(firstAnchor?.anchorHash);
      expect((await h.entries(restaurantId)).map((e) => e.seq)).toEqual([6, 7, 8]);
      expect(await verifyChain(h.db, h.chainKey, restaurantId)).toMatchObject({
        ok: true,
        checked: 3,
      });
    });

    it('refuses to overwrite an existing archive file', async () => {
      const error = await refusal(h.archive('2024-12-01T00:00:00.000Z', 'first.jsonl'));
      expect(error.code).toBe('POS_ERR_CONFLICT');
    });

    describe('security', () => {
      it('still lets the database refuse to delete an entry no archive covers', async () => {
        await expect(
          h.db
            .deleteFrom('audit_events')
            .where('chain_id', '=', restaurantId)
            .where('seq', '=', 6)
            .execute(),
        ).rejects.toThrow(/append-only/);
        expect((await h.entries(restaurantId)).map((e) => e.seq)).toEqual([6, 7, 8]);
      });
    });
  });

  describe('a tampered chain', () => {
    let t: TestApp;
    let h: ReturnType<typeof harness>;

    beforeAll(async () => {
      t = await buildTestApp({ dialect });
      h = harness(t);
      if (dialect === 'sqlite') {
        await sql`DROP TRIGGER audit_events_no_update`.execute(h.db);
      } else {
        await sql`DROP TRIGGER audit_events_append_only ON audit_events`.execute(h.db);
      }
    });
    afterAll(() => t.close());

    it('is not archived: pruning must not launder an edited entry', async () => {
      const restaurantId = randomUUID();
      await h.recordAt('2024-01-10T09:00:00.000Z', restaurantId, 3);
      await h.db
        .updateTable('audit_events')
        .set({ details: '{"sessionsRevoked":0}' })
        .where('chain_id', '=', restaurantId)
        .where('seq', '=', 2)
        .execute();

      const error = await refusal(h.archive('2024-03-01T00:00:00.000Z', 'tampered.jsonl'));

      expect(error.code).toBe('POS_ERR_CONFLICT');
      expect(existsSync(h.out('tampered.jsonl'))).toBe(false);
      expect(existsSync(h.out('tampered.jsonl.partial'))).toBe(false);
      expect(await h.entries(restaurantId)).toHaveLength(3);
      expect(await h.db.selectFrom('audit_archives').selectAll().execute()).toEqual([]);
    });
  });
});
