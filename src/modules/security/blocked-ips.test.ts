import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { redisAvailable, testDialects } from '../../../test/helpers/database.js';
import { auditEntries } from '../../../test/helpers/audit.js';
import type { Role } from '../../security/authz/permissions.js';
import type { Restaurant } from '../restaurants/repository.js';

const URL = '/api/v1/security/blocked-ips';
const TRUSTED_PROXY = '10.0.0.5';

describe.each(testDialects())('blocked addresses (%s)', (dialect) => {
  let t: TestApp;
  let admin: SignedInUser;
  let otherAdmin: SignedInUser;
  let restaurant: Restaurant;
  const staff = new Map<Role, SignedInUser>();

  beforeAll(async () => {
    t = await buildTestApp({ dialect, env: { CHEFIA_TRUSTED_PROXIES: TRUSTED_PROXY } });
    restaurant = await seedRestaurant(t);
    admin = await signIn(t, restaurant, 'admin');
    for (const role of ['manager', 'cashier', 'waiter', 'kitchen', 'customer'] as const) {
      staff.set(role, await signIn(t, restaurant, role));
    }
    otherAdmin = await signIn(t, await seedRestaurant(t), 'admin');
  });
  afterAll(() => t.close());

  const block = (user: SignedInUser, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: URL, headers: user.headers, payload });
  const list = (user: SignedInUser) =>
    t.app.inject({ method: 'GET', url: URL, headers: user.headers });
  const lift = (user: SignedInUser, id: string) =>
    t.app.inject({ method: 'DELETE', url: `${URL}/${id}`, headers: user.headers });
  const from = (remoteAddress: string) =>
    t.app.inject({ method: 'GET', url: '/health/live', remoteAddress });
  const blockRows = () => t.context.database.kysely.selectFrom('blocked_ips').selectAll().execute();

  it('blocks an address at once, lists it, and lifts it, each step audited', async () => {
    const created = await block(admin, {
      address: '198.51.100.44',
      durationMinutes: 30,
      note: 'card testing from this address',
    });
    expect(created.statusCode).toBe(201);
    const view = created.json();
    expect(view).toMatchObject({
      address: '198.51.100.44',
      reason: 'manual',
      note: 'card testing from this address',
      createdBy: admin.id,
      createdAt: t.clock.now().toISOString(),
      expiresAt: new Date(t.clock.now().getTime() + 30 * 60_000).toISOString(),
    });

    const refused = await from('198.51.100.44');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'POS_ERR_IP_BLOCKED' });
    expect((await from('198.51.100.45')).statusCode).toBe(200);

    const listed = await list(admin);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items).toContainEqual(view);

    expect((await lift(admin, view.id)).statusCode).toBe(204);
    expect((await from('198.51.100.44')).statusCode).toBe(200);
    expect((await list(admin)).json().items).not.toContainEqual(view);

    const [blocked] = await auditEntries(t, { action: 'ip.block' });
    expect(blocked).toMatchObject({
      event_type: 'configuration_change',
      actor_id: admin.id,
      restaurant_id: admin.restaurantId,
      resource_id: view.id,
    });
    expect(JSON.parse(blocked!.details)).toEqual({ reason: 'manual', minutes: 30 });
    // The admin's note may hold anything; it stays with the block, out of the audit trail.
    expect(blocked!.details).not.toContain('card testing');
    const [lifted] = await auditEntries(t, { action: 'ip.unblock' });
    expect(lifted).toMatchObject({ actor_id: admin.id, resource_id: view.id });
  });

  it('blocks an IPv6 address as its /64', async () => {
    const created = await block(admin, { address: '2001:db8:1:2::99' });
    expect(created.statusCode).toBe(201);
    expect(created.json().address).toBe('2001:db8:1:2::');

    expect((await from('2001:db8:1:2:aaaa::1234')).statusCode).toBe(403);
    expect((await from('2001:db8:1:3::1')).statusCode).toBe(200);
  });

  it('refuses addresses whose block would shut out everyone or the admin, writing nothing', async () => {
    const before = await blockRows();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ address: 'not-an-address' }, 'body/address'],
      [{ address: '127.0.0.1' }, 'body/address'],
      [{ address: '::1' }, 'body/address'],
      [{ address: TRUSTED_PROXY }, 'body/address'],
      [{ address: '198.51.100.47', durationMinutes: 0 }, 'body/durationMinutes'],
      [{ address: '198.51.100.47', durationMinutes: 43_201 }, 'body/durationMinutes'],
    ];
    for (const [payload, field] of cases) {
      const response = await block(admin, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().code).toBe('POS_ERR_VALIDATION');
      expect(response.json().fields.map((f: { path: string }) => f.path)).toContain(field);
    }

    const own = await t.app.inject({
      method: 'POST',
      url: URL,
      headers: admin.headers,
      remoteAddress: '198.51.100.48',
      payload: { address: '198.51.100.48' },
    });
    expect(own.statusCode).toBe(400);
    expect(await blockRows()).toEqual(before);
  });

  it('rejects fields a client may not set (mass assignment)', async () => {
    const before = await blockRows();
    for (const extra of [
      { reason: 'brute_force' },
      { expiresAt: '2099-01-01T00:00:00.000Z' },
      { restaurantId: otherAdmin.restaurantId },
      { createdBy: 'someone-else' },
    ]) {
      const response = await block(admin, { address: '198.51.100.49', ...extra });
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('POS_ERR_VALIDATION');
    }
    expect(await blockRows()).toEqual(before);
  });

  it('keeps one restaurant from seeing or lifting another restaurant’s block', async () => {
    const created = (await block(admin, { address: '198.51.100.50' })).json();

    const seen = (await list(otherAdmin)).json().items.map((item: { id: string }) => item.id);
    expect(seen).not.toContain(created.id);
    const lifted = await lift(otherAdmin, created.id);
    expect(lifted.statusCode).toBe(404);
    expect(lifted.json().code).toBe('POS_ERR_NOT_FOUND');
    expect((await from('198.51.100.50')).statusCode).toBe(403);
    const [row] = (await blockRows()).filter((r) => r.id === created.id);
    expect(row?.removed_at).toBeNull();
  });

  it('leaves another restaurant’s block of the same address in force when lifting one’s own', async () => {
    const mine = (await block(admin, { address: '198.51.100.51' })).json();
    await block(otherAdmin, { address: '198.51.100.51', durationMinutes: 60 });

    expect((await lift(admin, mine.id)).statusCode).toBe(204);
    expect((await from('198.51.100.51')).statusCode).toBe(403);
  });

  it('answers 404 for an unknown or already lifted block', async () => {
    const created = (await block(admin, { address: '198.51.100.52' })).json();
    expect((await lift(admin, created.id)).statusCode).toBe(204);

    expect((await lift(admin, created.id)).statusCode).toBe(404);
    expect((await lift(admin, 'no-such-block')).statusCode).toBe(404);
  });

  it('allows only incident.manage (admins) on every route', async () => {
    const created = (await block(admin, { address: '198.51.100.53' })).json();
    const before = await blockRows();

    for (const [role, user] of staff) {
      for (const response of [
        await list(user),
        await block(user, { address: '198.51.100.54' }),
        await lift(user, created.id),
      ]) {
        expect(response.statusCode, role).toBe(403);
        expect(response.json().code).toBe('POS_ERR_FORBIDDEN');
      }
    }
    expect(await blockRows()).toEqual(before);
    expect((await t.app.inject({ method: 'GET', url: URL })).statusCode).toBe(401);
  });

  it('reaches a process on the same database at its next poll', async () => {
    const second = await buildTestApp({ sameDatabaseAs: t, clock: t.clock });
    try {
      await block(admin, { address: '198.51.100.55' });
      const before = await second.app.inject({
        method: 'GET',
        url: '/health/live',
        remoteAddress: '198.51.100.55',
      });
      expect(before.statusCode).toBe(200);

      await second.app.protection.blockList.poll();
      const after = await second.app.inject({
        method: 'GET',
        url: '/health/live',
        remoteAddress: '198.51.100.55',
      });
      expect(after.statusCode).toBe(403);
    } finally {
      await second.close();
    }
  });

  // Last: it moves the clock past the access tokens' lifetime.
  it('uses CHEFIA_IP_BLOCK_MINUTES when no duration is given, and the block then runs out', async () => {
    const created = await block(admin, { address: '198.51.100.46' });
    expect(created.json().expiresAt).toBe(
      new Date(t.clock.now().getTime() + 15 * 60_000).toISOString(),
    );

    t.clock.advance(15 * 60_000 - 1);
    expect((await from('198.51.100.46')).statusCode).toBe(403);
    t.clock.advance(1);
    expect((await from('198.51.100.46')).statusCode).toBe(200);
    const signedInAgain = await signIn(t, restaurant, 'admin');
    expect(
      (await list(signedInAgain)).json().items.map((item: { address: string }) => item.address),
    ).not.toContain('198.51.100.46');
  });
});

describe.skipIf(!redisAvailable())('blocked addresses through Redis', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await buildTestApp({ redis: true });
    b = await buildTestApp({ redis: true, clock: a.clock });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('applies a block in the other process at once, without waiting for its poll', async () => {
    const admin = await signIn(a, await seedRestaurant(a), 'admin');
    // A distinct address per run: other suites share this Redis channel.
    const address = `198.51.100.${100 + Math.floor(Math.random() * 100)}`;
    const created = await a.app.inject({
      method: 'POST',
      url: URL,
      headers: admin.headers,
      payload: { address },
    });
    expect(created.statusCode).toBe(201);

    const deadline = Date.now() + 2_000;
    let status = 200;
    while (status !== 403 && Date.now() < deadline) {
      status = (await b.app.inject({ method: 'GET', url: '/health/live', remoteAddress: address }))
        .statusCode;
      if (status !== 403) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(403);

    await a.app.inject({
      method: 'DELETE',
      url: `${URL}/${created.json().id}`,
      headers: admin.headers,
    });
  });
});
