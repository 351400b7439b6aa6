import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { call, errorOf } from './catalog.test-helpers.js';

interface Page {
  items: { id: string; name: string }[];
  nextCursor: string | null;
}

describe.each(testDialects())('product listing (%s)', (dialect) => {
  let t: TestApp;
  let admin: SignedInUser;
  let drinks: string;

  beforeAll(async () => {
    t = await buildTestApp({ dialect });
    admin = await signIn(t, await seedRestaurant(t), 'admin');
    drinks = (await call(t, admin, 'POST', '/api/v1/categories', { name: 'Bebidas' })).json().id;
    const products = [
      { name: '50% off combo' },
      { name: '500 g picanha' },
      { name: 'Agua com_gas', categoryId: drinks },
      { name: 'Agua comigo', categoryId: drinks },
      { name: 'Bolo', available: false },
    ];
    for (const product of products) {
      const response = await call(t, admin, 'POST', '/api/v1/products', {
        priceCents: 700,
        ...product,
      });
      expect(response.statusCode).toBe(201);
    }
  });
  afterAll(() => t.close());

  const names = async (url: string) =>
    (await call(t, admin, 'GET', url)).json<Page>().items.map((p) => p.name);

  it('treats % and _ in a search as text, not wildcards', async () => {
    expect(await names('/api/v1/products?search=50%25')).toEqual(['50% off combo']);
    expect(await names('/api/v1/products?search=com_g')).toEqual(['Agua com_gas']);
  });

  it('searches names without regard to case', async () => {
    expect(await names('/api/v1/products?search=AGUA')).toEqual(['Agua com_gas', 'Agua comigo']);
  });

  it('filters by category and by availability', async () => {
    expect(await names(`/api/v1/products?categoryId=${drinks}`)).toEqual([
      'Agua com_gas',
      'Agua comigo',
    ]);
    expect(await names('/api/v1/products?available=false')).toEqual(['Bolo']);
    expect(await names('/api/v1/products?available=true')).not.toContain('Bolo');
  });

  it('pages with an opaque cursor through every product exactly once', async () => {
    const all = await names('/api/v1/products?limit=100');
    const seen: string[] = [];
    let url = '/api/v1/products?limit=2';
    for (;;) {
      const page = (await call(t, admin, 'GET', url)).json<Page>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((p) => p.name));
      if (page.nextCursor === null) break;
      url = `/api/v1/products?limit=2&cursor=${encodeURIComponent(page.nextCursor)}`;
    }

    expect(all).toHaveLength(5);
    expect(seen).toEqual(all);
  });

  it('bounds the page size and rejects a forged cursor', async () => {
    const tooBig = await call(t, admin, 'GET', '/api/v1/products?limit=101');
    expect(errorOf(tooBig)).toEqual({ status: 400, code: 'POS_ERR_VALIDATION' });

    const forged = Buffer.from('{"name":"x"}').toString('base64url');
    const bad = await call(t, admin, 'GET', `/api/v1/products?cursor=${forged}`);
    expect(errorOf(bad)).toEqual({ status: 400, code: 'POS_ERR_VALIDATION' });
  });

  it('pages categories the same way', async () => {
    await call(t, admin, 'POST', '/api/v1/categories', { name: 'Carnes' });
    const first = (await call(t, admin, 'GET', '/api/v1/categories?limit=1')).json<Page>();
    expect(first.items.map((c) => c.name)).toEqual(['Bebidas']);

    const cursor = encodeURIComponent(first.nextCursor!);
    const second = (
      await call(t, admin, 'GET', `/api/v1/categories?limit=1&cursor=${cursor}`)
    ).json<Page>();
    expect(second.items.map((c) => c.name)).toEqual(['Carnes']);
    expect(second.nextCursor).toBeNull();
  });
});
