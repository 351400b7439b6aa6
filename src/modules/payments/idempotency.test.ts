import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { AppError } from '../../core/errors.js';
import type { Tx } from '../../infra/db/transaction.js';
import type { Restaurant } from '../restaurants/repository.js';
import {
  STALE_CLAIM_SECONDS,
  canonicalJson,
  runIdempotent,
  type IdempotentRequest,
} from './idempotency.js';
import { newKey } from './payments.test-helpers.js';

/** A promise the test resolves when it wants a blocked operation to finish. */
function gate(): { open: () => void; wait: Promise<void> } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, wait };
}

describe.each(testDialects())('idempotency keys (%s)', (dialect) => {
  let t: TestApp;
  /** A second server process on the same database, as in a scaled-out deployment. */
  let peer: TestApp;
  let restaurant: Restaurant;

  beforeAll(async () => {
    t = await buildTestApp({ dialect });
    peer = await buildTestApp({ sameDatabaseAs: t, clock: t.clock });
    restaurant = await seedRestaurant(t);
  });
  afterAll(async () => {
    await peer.close();
    await t.close();
  });

  const request = (key: string, body: unknown = { amountCents: 100 }): IdempotentRequest => ({
    restaurantId: restaurant.id,
    key,
    method: 'POST',
    path: '/api/v1/orders/o1/payments',
    body,
  });

  /** An operation with a visible side effect: one system_state row per run. */
  const effect = (marker: string, runs: { count: number }) => async (tx: Tx) => {
    runs.count += 1;
    await tx
      .insertInto('system_state')
      .values({ key: `${marker}-${runs.count}`, value: 'x', updated_at: 'now' })
      .execute();
    return { statusCode: 201, body: { marker, run: runs.count } };
  };

  const effects = async (marker: string) =>
    (
      await t.context.database.kysely
        .selectFrom('system_state')
        .select('key')
        .where('key', 'like', `${marker}-%`)
        .execute()
    ).length;

  it('runs the operation once and replays the same status and body', async () => {
    const key = newKey();
    const runs = { count: 0 };

    const first = await runIdempotent(t.context, request(key), effect('replay', runs));
    const second = await runIdempotent(t.context, request(key), effect('replay', runs));

    expect(first).toEqual({ statusCode: 201, body: { marker: 'replay', run: 1 }, replayed: false });
    expect(second).toEqual({ statusCode: 201, body: { marker: 'replay', run: 1 }, replayed: true });
    expect(runs.count).toBe(1);
    expect(await effects('replay')).toBe(1);
  });

  it('treats the same body with its keys in another order as the same request', async () => {
    const key = newKey();
    const runs = { count: 0 };

    await runIdempotent(
      t.context,
      request(key, { a: 1, b: { c: 2, d: 3 } }),
      effect('order', runs),
    );
    const again = await runIdempotent(
      t.context,
      request(key, { b: { d: 3, c: 2 }, a: 1 }),
      effect('order', runs),
    );

    expect(again.replayed).toBe(true);
    expect(runs.count).toBe(1);
  });

  it('refuses the same key with another body, path or method with 422', async () => {
    const key = newKey();
    const runs = { count: 0 };
    await runIdempotent(t.context, request(key), effect('mismatch', runs));

    const variants: IdempotentRequest[] = [
      request(key, { amountCents: 101 }),
      { ...request(key), path: '/api/v1/orders/o2/payments' },
      { ...request(key), method: 'PUT' },
    ];
    for (const variant of variants) {
      await expect(
        runIdempotent(t.context, variant, effect('mismatch', runs)),
      ).rejects.toMatchObject({ code: 'POS_ERR_IDEMPOTENCY_MISMATCH', statusCode: 422 });
    }
    expect(runs.count).toBe(1);
  });

  it('scopes keys to the restaurant', async () => {
    const other = await seedRestaurant(t);
    const key = newKey();
    const runs = { count: 0 };

    await runIdempotent(t.context, request(key), effect('tenant', runs));
    const elsewhere = await runIdempotent(
      t.context,
      { ...request(key), restaurantId: other.id },
      effect('tenant', runs),
    );

    expect(elsewhere.replayed).toBe(false);
    expect(runs.count).toBe(2);
  });

  it('answers 409 to a duplicate while the first attempt is still running, then replays', async () => {
    const key = newKey();
    const blocker = gate();
    const started = gate();
    const runs = { count: 0 };

    const first = runIdempotent(t.context, request(key), async (tx) => {
      started.open();
      await blocker.wait;
      return effect('progress', runs)(tx);
    });
    await started.wait;

    await expect(
      runIdempotent(peer.context, request(key), effect('progress', runs)),
    ).rejects.toMatchObject({ code: 'POS_ERR_IDEMPOTENCY_IN_PROGRESS', statusCode: 409 });
    blocker.open();
    await first;

    const later = await runIdempotent(peer.context, request(key), effect('progress', runs));
    expect(later).toMatchObject({ replayed: true, body: { marker: 'progress', run: 1 } });
    expect(runs.count).toBe(1);
    expect(await effects('progress')).toBe(1);
  });

  it('stores a 4xx answer and replays it without running the operation again', async () => {
    const key = newKey();
    let runs = 0;
    const failing = async () => {
      runs += 1;
      throw new AppError('POS_ERR_AMOUNT_EXCEEDS_BALANCE');
    };

    await expect(runIdempotent(t.context, request(key), failing)).rejects.toMatchObject({
      code: 'POS_ERR_AMOUNT_EXCEEDS_BALANCE',
    });
    const replay = await runIdempotent(t.context, request(key), failing);

    expect(replay).toEqual({
      statusCode: 409,
      replayed: true,
      body: {
        statusCode: 409,
        code: 'POS_ERR_AMOUNT_EXCEEDS_BALANCE',
        error: 'Conflict',
        message: 'The amount exceeds what remains to be paid, refunded or withdrawn.',
      },
    });
    expect(runs).toBe(1);
  });

  it('rolls back and releases the key after an unexpected failure, so a retry runs', async () => {
    const key = newKey();
    const runs = { count: 0 };

    await expect(
      runIdempotent(t.context, request(key), async (tx) => {
        await effect('crashy', runs)(tx);
        throw new Error('disk on fire');
      }),
    ).rejects.toThrow('disk on fire');
    expect(await effects('crashy')).toBe(0);

    const retry = await runIdempotent(t.context, request(key), effect('crashy', runs));
    expect(retry.replayed).toBe(false);
    expect(await effects('crashy')).toBe(1);
  });

  it('takes over a claim left in progress by a crashed process only once it is stale', async () => {
    const key = newKey();
    const runs = { count: 0 };
    const crashed = t.clock.now().toISOString();
    // What a process killed mid-operation leaves: a claim and no response.
    await t.context.database.kysely
      .insertInto('idempotency_keys')
      .values({
        restaurant_id: restaurant.id,
        idempotency_key: key,
        request_hash: await hashOf(key),
        status: 'in_progress',
        claim_token: 'dead-process',
        response_status: null,
        response_body: null,
        created_at: crashed,
        locked_at: crashed,
        completed_at: null,
      })
      .execute();

    await expect(
      runIdempotent(t.context, request(key), effect('stale', runs)),
    ).rejects.toMatchObject({ code: 'POS_ERR_IDEMPOTENCY_IN_PROGRESS' });

    t.clock.advance((STALE_CLAIM_SECONDS + 1) * 1000);
    const retried = await runIdempotent(t.context, request(key), effect('stale', runs));
    expect(retried.replayed).toBe(false);
    expect(await effects('stale')).toBe(1);
  });

  it('rolls back a slow attempt whose stale claim was taken over meanwhile', async () => {
    const key = newKey();
    const blocker = gate();
    const started = gate();
    const runs = { count: 0 };

    const slow = runIdempotent(t.context, request(key), async (tx) => {
      started.open();
      await blocker.wait;
      return effect('slow', runs)(tx);
    });
    await started.wait;
    // Another process claims the key as if the slow attempt had died.
    await peer.context.database.kysely
      .updateTable('idempotency_keys')
      .set({ claim_token: 'successor' })
      .where('idempotency_key', '=', key)
      .execute();
    blocker.open();

    await expect(slow).rejects.toMatchObject({ code: 'POS_ERR_IDEMPOTENCY_IN_PROGRESS' });
    expect(runs.count).toBe(1);
    expect(await effects('slow')).toBe(0);
  });

  it('requires a well-formed key and names the header when it is not', async () => {
    for (const key of [undefined, 'short', 'has space in it', 'x'.repeat(129), ['a'.repeat(10)]]) {
      await expect(
        runIdempotent(t.context, { ...request('unused'), key }, effect('badkey', { count: 0 })),
      ).rejects.toMatchObject({
        code: 'POS_ERR_VALIDATION',
        fields: [{ path: 'headers/idempotency-key', message: 'must be 8-128 of A-Z a-z 0-9 _ -' }],
      });
    }
  });

  /** The stored hash of `request(key)`, read back from a completed sibling key. */
  async function hashOf(key: string): Promise<string> {
    const probe = `${key}-probe`;
    await runIdempotent(t.context, { ...request(key), key: probe }, async () => ({
      statusCode: 200,
      body: null,
    }));
    const row = await t.context.database.kysely
      .selectFrom('idempotency_keys')
      .select('request_hash')
      .where('idempotency_key', '=', probe)
      .executeTakeFirstOrThrow();
    return row.request_hash;
  }
});

describe('canonical request body', () => {
  it('does not depend on the order of object keys', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(object));
      }),
    );
  });

  it('tells different values apart', () => {
    expect(canonicalJson({ amountCents: 100 })).not.toBe(canonicalJson({ amountCents: '100' }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});
