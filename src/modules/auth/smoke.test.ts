import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn } from '../../../test/helpers/auth.js';

describe('auth smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it('signs in an admin with MFA enrolment and a cashier without', async () => {
    const restaurant = await seedRestaurant(t);
    const admin = await signIn(t, restaurant, 'admin');
    const cashier = await signIn(t, restaurant, 'cashier');

    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: admin.headers });
    expect(me.statusCode).toBe(200);
    expect(me.json().role).toBe('admin');

    const users = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: cashier.headers });
    expect(users.statusCode).toBe(403);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: admin.headers });
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toHaveLength(2);
  });
});
