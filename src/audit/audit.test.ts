import { randomBytes, randomUUID } from 'node:crypto';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../test/helpers/app.js';
import { testDialects } from '../../test/helpers/database.js';
import type { DialectName } from '../infra/db/database.js';
import { inTransaction } from '../infra/db/transaction.js';
import { GENESIS_HASH, entryHash } from './chain.js';
import { riskScore, type AuditEventInput } from './events.js';
import { anonymizeIp, hashIp } from './ip.js';
import { SYSTEM_CHAIN } from './recorder.js';
import { listChains, verifyChain } from './verify.js';

const CLIENT_IP = '203.0.113.45';

/** An admin promoting a cashier: an ordinary audited change with allow-listed details. */
function roleChange(restaurantId: string | null, extra: Partial<AuditEventInput> = {}) {
  const event: AuditEventInput = {
    type: 'data_modification',
    action: 'user.role_change',
    outcome: 'success',
    restaurantId,
    actor: { type: 'user', id: 'user-1', role: 'admin' },
    source: { ip: CLIENT_IP, requestId: 'req-00000001' },
    resource: { type: 'user', id: 'user-2' },
    details: { fromRole: 'cashier', toRole: 'manager' },
    ...extra,
  };
  return event;
}

/** Test access to one app's audit trail. */
function auditTrail(t: TestApp) {
  const db = t.context.database.kysely;
  return {
    record: (event: AuditEventInput) =>
      inTransaction(t.context.database, (tx) => t.context.audit.record(tx, event)),
    entries: (chainId: string) =>
      db
        .selectFrom('audit_events')
        .selectAll()
        .where('chain_id', '=', chainId)
        .orderBy('seq')
        .execute(),
    verify: (chainId: string) => verifyChain(db, t.context.keys.auditChainKey, chainId),
    /** A new chain of `length` entries under a fresh restaurant id. */
    async chain(length: number): Promise<string> {
      const restaurantId = randomUUID();
      for (let i = 0; i < length; i += 1) {
        await this.record(roleChange(restaurantId));
      }
      return restaurantId;
    },
  };
}

/** What an attacker with write access to the database would do first. */
async function dropAppendOnlyTriggers(t: TestApp, dialect: DialectName): Promise<void> {
  const db = t.context.database.kysely;
  if (dialect === 'sqlite') {
    await sql`DROP TRIGGER audit_events_no_update`.execute(db);
    await sql`DROP TRIGGER audit_events_no_delete`.execute(db);
  } else {
    await sql`DROP TRIGGER audit_events_append_only ON audit_events`.execute(db);
  }
}

describe.each(testDialects())('audit trail on %s', (dialect) => {
  describe('recording', () => {
    let t: TestApp;
    let trail: ReturnType<typeof auditTrail>;

    beforeAll(async () => {
      t = await buildTestApp({ dialect });
      trail = auditTrail(t);
    });
    afterAll(() => t.close());

    it('writes nothing when the transaction it belongs to rolls back', async () => {
      const restaurantId = randomUUID();

      await expect(
        inTransaction(t.context.database, async (tx) => {
          await t.context.audit.record(tx, roleChange(restaurantId));
          throw new Error('the role change failed');
        }),
      ).rejects.toThrow('the role change failed');

      expect(await trail.entries(restaurantId)).toEqual([]);
      expect(await listChains(t.context.database.kysely)).not.toContain(restaurantId);
    });

    it('chains each restaurant separately: seq 1..n, each linked to the one before', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      for (const restaurantId of [a, b, a, a, b]) await trail.record(roleChange(restaurantId));

      const entriesA = await trail.entries(a);
      const entriesB = await trail.entries(b);

      expect(entriesA.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(entriesB.map((e) => e.seq)).toEqual([1, 2]);
      for (const entries of [entriesA, entriesB]) {
        expect(entries[0]?.prev_hash).toBe(GENESIS_HASH);
        for (let i = 1; i < entries.length; i += 1) {
          expect(entries[i]?.prev_hash).toBe(entries[i - 1]?.hash);
        }
      }
      expect(await trail.verify(a)).toEqual({ chainId: a, ok: true, checked: 3, firstBreak: null });
      expect(await trail.verify(b)).toEqual({ chainId: b, ok: true, checked: 2, firstBreak: null });
    });

    it('puts deployment-wide events on the separate system chain', async () => {
      const before = (await trail.entries(SYSTEM_CHAIN)).length;

      const entry = await trail.record(roleChange(null, { type: 'configuration_change' }));

      expect(entry).toMatchObject({ chain_id: SYSTEM_CHAIN, restaurant_id: null, seq: before + 1 });
      expect((await trail.verify(SYSTEM_CHAIN)).ok).toBe(true);
      expect(await listChains(t.context.database.kysely)).toContain(SYSTEM_CHAIN);
    });

    it('records who, what, when (from the clock), the risk score and the request id', async () => {
      const restaurantId = randomUUID();
      t.clock.set('2026-03-01T10:15:00.000Z');

      const entry = await trail.record(
        roleChange(restaurantId, { type: 'security_alert', action: 'auth.refresh_reuse' }),
      );

      expect(entry).toMatchObject({
        restaurant_id: restaurantId,
        occurred_at: '2026-03-01T10:15:00.000Z',
        event_type: 'security_alert',
        action: 'auth.refresh_reuse',
        outcome: 'success',
        actor_type: 'user',
        actor_id: 'user-1',
        actor_role: 'admin',
        request_id: 'req-00000001',
        resource_type: 'user',
        resource_id: 'user-2',
        risk_score: 9,
      });
    });

    it('stores the client address anonymized, with a keyed hash to correlate', async () => {
      const restaurantId = randomUUID();
      await trail.record(roleChange(restaurantId));
      await trail.record(roleChange(restaurantId));
      await trail.record(roleChange(restaurantId, { source: { ip: '203.0.113.46' } }));

      const [first, second, neighbour] = await trail.entries(restaurantId);

      expect(first?.ip_prefix).toBe('203.0.113.0/24');
      expect(first?.ip_hash).toBe(hashIp(t.context.keys.ipHashKey, CLIENT_IP));
      expect(second?.ip_hash).toBe(first?.ip_hash);
      expect(neighbour?.ip_prefix).toBe(first?.ip_prefix);
      expect(neighbour?.ip_hash).not.toBe(first?.ip_hash);
      expect(JSON.stringify([first, second, neighbour])).not.toContain('203.0.113.4');
    });

    it('keeps only the detail keys its action allows, dropping secrets and card data', async () => {
      const restaurantId = randomUUID();
      const entry = await trail.record(
        roleChange(restaurantId, {
          action: 'restaurant.create',
          details: {
            slug: 'cantina',
            amountCents: 1500,
            password: 'hunter2-hunter2',
            token: 'tok_abcdefgh',
            refreshToken: 'rt_abcdefgh',
            authorization: 'Bearer abc',
            cvv: '987',
            pan: '4111111111111111',
            cardNumber: '5500000000000004',
            pin: '4321',
          },
        }),
      );

      expect(JSON.parse(entry.details)).toEqual({ slug: 'cantina' });
      const [stored] = await trail.entries(restaurantId);
      expect(stored?.details).toBe('{"slug":"cantina"}');
    });

    it('masks a card number even under an allowed key', async () => {
      const entry = await trail.record(
        roleChange(randomUUID(), {
          action: 'restaurant.create',
          details: { slug: 'paid with 4111 1111 1111 1111' },
        }),
      );
      expect(entry.details).not.toContain('1111');
    });

    it('keeps no details at all for an action without an allow-list entry', async () => {
      const entry = await trail.record(
        roleChange(randomUUID(), { action: 'test.unlisted', details: { note: 'anything' } }),
      );
      expect(entry.details).toBe('{}');
    });

    it('stores details with sorted keys, so the same details always hash the same', async () => {
      const restaurantId = randomUUID();
      const entry = await trail.record(
        roleChange(restaurantId, { details: { toRole: 'manager', fromRole: 'cashier' } }),
      );
      expect(entry.details).toBe('{"fromRole":"cashier","toRole":"manager"}');
    });

    it('keeps a gapless, valid chain under 20 concurrent transactions', async () => {
      const restaurantId = randomUUID();

      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          trail.record(roleChange(restaurantId, { resource: { type: 'user', id: `user-${i}` } })),
        ),
      );

      const entries = await trail.entries(restaurantId);
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await trail.verify(restaurantId)).toMatchObject({ ok: true, checked: 20 });
    });

    describe('security', () => {
      it('is append-only: the database refuses UPDATE and DELETE of entries', async () => {
        const restaurantId = await trail.chain(3);
        const db = t.context.database.kysely;

        await expect(
          db
            .updateTable('audit_events')
            .set({ details: '{"forged":true}' })
            .where('chain_id', '=', restaurantId)
            .execute(),
        ).rejects.toThrow(/append-only/);
        await expect(
          db.deleteFrom('audit_events').where('chain_id', '=', restaurantId).execute(),
        ).rejects.toThrow(/append-only/);
        await expect(db.deleteFrom('audit_events').execute()).rejects.toThrow(/append-only/);

        expect(await trail.entries(restaurantId)).toHaveLength(3);
        expect((await trail.verify(restaurantId)).ok).toBe(true);
      });
    });
  });

  describe('tamper detection, once an attacker has dropped the append-only triggers', () => {
    let t: TestApp;
    let trail: ReturnType<typeof auditTrail>;

    beforeAll(async () => {
      t = await buildTestApp({ dialect });
      trail = auditTrail(t);
      await dropAppendOnlyTriggers(t, dialect);
    });
    afterAll(() => t.close());

    const entryAt = async (chainId: string, seq: number) => {
      const entry = (await trail.entries(chainId)).find((e) => e.seq === seq);
      if (!entry) throw new Error(`no entry ${seq}`);
      return entry;
    };

    it('still verifies an untouched chain', async () => {
      const chainId = await trail.chain(4);
      expect(await trail.verify(chainId)).toMatchObject({ ok: true, checked: 4 });
    });

    it('names the edited entry (hash_mismatch)', async () => {
      const chainId = await trail.chain(4);
      const target = await entryAt(chainId, 2);

      await t.context.database.kysely
        .updateTable('audit_events')
        .set({ details: '{"fromRole":"cashier","toRole":"admin"}' })
        .where('id', '=', target.id)
        .execute();

      expect(await trail.verify(chainId)).toEqual({
        chainId,
        ok: false,
        checked: 1,
        firstBreak: { seq: 2, entryId: target.id, reason: 'hash_mismatch' },
      });
    });

    it('detects an edit re-chained by someone without the chain key, and only the key makes it pass', async () => {
      const chainId = await trail.chain(4);
      const db = t.context.database.kysely;

      /** Rewrites entry 2 and recomputes every later link and the head under `key`. */
      const rechain = async (key: Buffer, toRole: string) => {
        let previous = (await entryAt(chainId, 1)).hash;
        for (const entry of (await trail.entries(chainId)).filter((e) => e.seq >= 2)) {
          // entryHash reads the hashed fields only, so the stale `hash` can ride along.
          const edited = {
            ...entry,
            prev_hash: previous,
            details:
              entry.seq === 2 ? `{"fromRole":"cashier","toRole":"${toRole}"}` : entry.details,
          };
          previous = entryHash(key, edited);
          await db
            .updateTable('audit_events')
            .set({ details: edited.details, prev_hash: edited.prev_hash, hash: previous })
            .where('id', '=', entry.id)
            .execute();
        }
        await db
          .updateTable('audit_chain_heads')
          .set({ last_hash: previous })
          .where('chain_id', '=', chainId)
          .execute();
      };

      await rechain(randomBytes(32), 'admin');
      expect(await trail.verify(chainId)).toMatchObject({
        ok: false,
        firstBreak: { seq: 2, reason: 'hash_mismatch' },
      });

      // The same rewrite under the real key verifies: the key, not the hashing, is the defence.
      await rechain(t.context.keys.auditChainKey, 'admin');
      expect(await trail.verify(chainId)).toMatchObject({ ok: true, checked: 4 });
    });

    it('names the place of a deleted middle entry', async () => {
      const chainId = await trail.chain(4);
      const target = await entryAt(chainId, 2);

      await t.context.database.kysely
        .deleteFrom('audit_events')
        .where('id', '=', target.id)
        .execute();

      expect(await trail.verify(chainId)).toMatchObject({
        ok: false,
        checked: 1,
        firstBreak: { seq: 2, reason: 'sequence_gap' },
      });
    });

    it('detects two entries swapped in order', async () => {
      const chainId = await trail.chain(4);
      const [second, third] = [await entryAt(chainId, 2), await entryAt(chainId, 3)];
      const db = t.context.database.kysely;

      await db.updateTable('audit_events').set({ seq: -1 }).where('id', '=', second.id).execute();
      await db.updateTable('audit_events').set({ seq: 2 }).where('id', '=', third.id).execute();
      await db.updateTable('audit_events').set({ seq: 3 }).where('id', '=', second.id).execute();

      expect(await trail.verify(chainId)).toMatchObject({
        ok: false,
        checked: 1,
        firstBreak: { seq: 2, entryId: third.id },
      });
    });

    it('detects a truncated tail against the chain head (head_mismatch)', async () => {
      const chainId = await trail.chain(4);
      const last = await entryAt(chainId, 4);

      await t.context.database.kysely
        .deleteFrom('audit_events')
        .where('id', '=', last.id)
        .execute();

      expect(await trail.verify(chainId)).toEqual({
        chainId,
        ok: false,
        checked: 3,
        firstBreak: { seq: 4, entryId: null, reason: 'head_mismatch' },
      });
    });
  });
});

describe('IP anonymization', () => {
  it.each([
    ['IPv4 to its /24', '203.0.113.45', '203.0.113.0/24'],
    ['IPv6 to its /48', '2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::/48'],
    ['compressed IPv6', '2001:db8::1', '2001:db8:0::/48'],
    ['IPv6 with leading zeros and upper case', '2001:0DB8:00A1::1', '2001:db8:a1::/48'],
    ['IPv6 with a zone', 'fe80::1%eth0', 'fe80:0:0::/48'],
    ['IPv6 loopback', '::1', '0:0:0::/48'],
    ['IPv4-mapped IPv6 as IPv4', '::ffff:198.51.100.7', '198.51.100.0/24'],
  ])('reduces %s', (_case, ip, prefix) => {
    expect(anonymizeIp(ip)).toBe(prefix);
  });

  it('gives up on something that is not an address', () => {
    expect(anonymizeIp('not-an-ip')).toBeNull();
    expect(anonymizeIp('203.0.113')).toBeNull();
  });

  it('hashes the full address with a key, so the address cannot be recovered by guessing', () => {
    const key = randomBytes(32);
    const hash = hashIp(key, CLIENT_IP);

    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashIp(key, CLIENT_IP)).toBe(hash);
    expect(hashIp(key, '203.0.113.46')).not.toBe(hash);
    expect(hashIp(randomBytes(32), CLIENT_IP)).not.toBe(hash);
  });
});

describe('risk score', () => {
  it("follows the seed's scoring: base per type, +3 after five failures, +2 if suspicious", () => {
    expect(riskScore({ type: 'data_access' })).toBe(1);
    expect(riskScore({ type: 'login_failure' })).toBe(3);
    expect(riskScore({ type: 'login_failure', risk: { repeatedFailures: 5 } })).toBe(3);
    expect(riskScore({ type: 'login_failure', risk: { repeatedFailures: 6 } })).toBe(6);
    expect(riskScore({ type: 'login_failure', risk: { suspiciousPattern: true } })).toBe(5);
    expect(
      riskScore({ type: 'token_reuse', risk: { repeatedFailures: 9, suspiciousPattern: true } }),
    ).toBe(10);
    expect(riskScore({ type: 'data_modification', risk: { floor: 8 } })).toBe(8);
  });
});
