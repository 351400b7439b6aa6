import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../test/helpers/app.js';
import { testDialects } from '../../test/helpers/database.js';
import { inTransaction } from '../infra/db/transaction.js';
import { entryHash } from './chain.js';
import { verifyChain } from './verify.js';

describe.each(testDialects())('chain verification on %s', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({ dialect });
  });
  afterAll(() => t.close());

  async function chainOf(length: number): Promise<string> {
    const restaurantId = randomUUID();
    for (let i = 0; i < length; i += 1) {
      await inTransaction(t.context.database, (tx) =>
        t.context.audit.record(tx, {
          type: 'logout',
          action: 'auth.logout',
          outcome: 'success',
          restaurantId,
          actor: { type: 'user', id: 'user-1', role: 'cashier' },
        }),
      );
    }
    return restaurantId;
  }

  describe('security', () => {
    it('detects a well-formed entry appended without moving the chain head', async () => {
      const chainId = await chainOf(3);
      const db = t.context.database.kysely;
      const last = await db
        .selectFrom('audit_events')
        .selectAll()
        .where('chain_id', '=', chainId)
        .where('seq', '=', 3)
        .executeTakeFirstOrThrow();

      // Inserting is what the append-only triggers allow, so this needs no dropped trigger.
      const { hash: lastHash, ...template } = last;
      const forged = { ...template, id: randomUUID(), seq: 4, prev_hash: lastHash };
      await db
        .insertInto('audit_events')
        .values({ ...forged, hash: entryHash(t.context.keys.auditChainKey, forged) })
        .execute();

      expect(await verifyChain(db, t.context.keys.auditChainKey, chainId)).toEqual({
        chainId,
        ok: false,
        checked: 3,
        firstBreak: { seq: 4, entryId: null, reason: 'head_mismatch' },
      });
    });

    it('detects entries whose chain head was removed', async () => {
      const chainId = await chainOf(2);
      const db = t.context.database.kysely;

      await db.deleteFrom('audit_chain_heads').where('chain_id', '=', chainId).execute();

      expect(await verifyChain(db, t.context.keys.auditChainKey, chainId)).toMatchObject({
        ok: false,
        firstBreak: { reason: 'head_mismatch' },
      });
    });
  });

  it('reports an unknown chain as empty and intact', async () => {
    expect(
      await verifyChain(t.context.database.kysely, t.context.keys.auditChainKey, randomUUID()),
    ).toMatchObject({
      ok: true,
      checked: 0,
    });
  });
});
