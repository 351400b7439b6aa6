import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import type { Role } from '../../security/authz/permissions.js';
import { ALL_ROLES, call, errorOf, signInEveryRole } from '../catalog/catalog.test-helpers.js';
import { solidImage } from '../catalog/images/crafted-files.test-helpers.js';
import type { Restaurant } from '../restaurants/repository.js';
import { matchesIfNoneMatch } from './service.js';

describe('If-None-Match', () => {
  it.each([
    ['"abc"', true],
    ['W/"abc"', true],
    ['"zzz", "abc"', true],
    ['*', true],
    ['"abd"', false],
    ['abc', false],
  ])('%s against "abc" matches: %s', (header, expected) => {
    expect(matchesIfNoneMatch(header, '"abc"')).toBe(expected);
  });

  it('does not match without the header', () => {
    expect(matchesIfNoneMatch(undefined, '"abc"')).toBe(false);
  });
});

describe.each(testDialects())('public menu (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  let admin: SignedInUser;
  let otherAdmin: SignedInUser;
  let users: Record<Role, SignedInUser>;
  let otherSlug: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await buildTestApp({ dialect });
    restaurant = await seedRestaurant(t);
    users = await signInEveryRole(t, restaurant);
    admin = users.admin;
    const other = await seedRestaurant(t);
    otherSlug = other.slug;
    otherAdmin = await signIn(t, other, 'admin');

    const mains = await call(t, admin, 'POST', '/api/v1/categories', {
      name: 'Pratos',
      sortOrder: 1,
    });
    const starters = await call(t, admin, 'POST', '/api/v1/categories', {
      name: 'Entradas',
      sortOrder: 0,
    });
    const products: [string, Record<string, unknown>][] = [
      ['pastel', { name: 'Pastel', priceCents: 900, categoryId: starters.json().id }],
      [
        'moqueca',
        {
          name: 'Moqueca',
          priceCents: 5900,
          categoryId: mains.json().id,
          costCents: 2100,
          stockQuantity: 4,
        },
      ],
      ['hidden', { name: 'Fora do cardapio', priceCents: 100, available: false }],
      ['soldOut', { name: 'Esgotado', priceCents: 100, stockQuantity: 0 }],
      ['deleted', { name: 'Apagado', priceCents: 100 }],
      ['water', { name: 'Agua', priceCents: 500 }],
    ];
    for (const [key, body] of products) {
      ids[key] = (await call(t, admin, 'POST', '/api/v1/products', body)).json().id;
    }
    await call(t, admin, 'DELETE', `/api/v1/products/${ids.deleted}`);
  });
  afterAll(() => t.close());

  const menu = (headers: Record<string, string> = {}, slug = restaurant.slug) =>
    t.app.inject({ method: 'GET', url: `/api/v1/menu/${slug}`, headers });

  it.each([...ALL_ROLES, 'anonymous'] as const)(
    'answers the same menu to a %s caller',
    async (who) => {
      const headers = who === 'anonymous' ? {} : users[who].headers;

      const response = await menu(headers);

      expect(response.statusCode).toBe(200);
      expect(response.json().sections.length).toBeGreaterThan(0);
      expect(response.body).not.toContain('costCents');
    },
  );

  it('lists only available, live, in-stock items, grouped by category name in menu order', async () => {
    const response = await menu();

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      restaurant: { name: restaurant.name, slug: restaurant.slug, currency: 'BRL' },
      sections: [
        {
          category: 'Entradas',
          items: [
            { id: ids.pastel, name: 'Pastel', description: null, priceCents: 900, imageUrl: null },
          ],
        },
        {
          category: 'Pratos',
          items: [
            {
              id: ids.moqueca,
              name: 'Moqueca',
              description: null,
              priceCents: 5900,
              imageUrl: null,
            },
          ],
        },
        {
          category: null,
          items: [
            { id: ids.water, name: 'Agua', description: null, priceCents: 500, imageUrl: null },
          ],
        },
      ],
    });
  });

  it('carries no cost, stock, availability or category ids', async () => {
    const body = (await menu()).body;

    for (const leaked of ['costCents', '2100', 'stockQuantity', 'available', 'categoryId']) {
      expect(body).not.toContain(leaked);
    }
  });

  it('is publicly cacheable for a minute, with an ETag that answers 304', async () => {
    const first = await menu();
    const etag = first.headers.etag as string;

    expect(first.headers['cache-control']).toBe('public, max-age=60');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);

    const again = await menu({ 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(etag);
    expect(again.headers['cache-control']).toBe('public, max-age=60');

    const weak = await menu({ 'if-none-match': `W/${etag}` });
    expect(weak.statusCode).toBe(304);
  });

  it('changes its ETag when a price changes', async () => {
    const before = (await menu()).headers.etag as string;

    await call(t, admin, 'PATCH', `/api/v1/products/${ids.water}`, { priceCents: 550 });

    const after = await menu({ 'if-none-match': before });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(before);
    expect(after.body).toContain('550');
  });

  it('answers an unknown restaurant with 404', async () => {
    const response = await menu({}, 'nao-existe');

    expect(errorOf(response)).toEqual({ status: 404, code: 'POS_ERR_NOT_FOUND' });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it("never shows another restaurant's items", async () => {
    await call(t, otherAdmin, 'POST', '/api/v1/products', { name: 'Segredo', priceCents: 1 });

    expect((await menu()).body).not.toContain('Segredo');
    expect((await menu({}, otherSlug)).body).toContain('Segredo');
  });

  describe('images', () => {
    const imageUrl = (slug: string, id: string) => `/api/v1/menu/${slug}/products/${id}/image`;

    async function giveImage(id: string, as = admin): Promise<void> {
      const boundary = 'menu-test';
      const head =
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="p.png"\r\n` +
        'Content-Type: image/png\r\n\r\n';
      const response = await t.app.inject({
        method: 'POST',
        url: `/api/v1/products/${id}/image`,
        headers: { ...as.headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: Buffer.concat([
          Buffer.from(head),
          await solidImage('png'),
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]),
      });
      expect(response.statusCode).toBe(200);
    }

    it('serves the image of a menu item without sign-in, and links it from the menu', async () => {
      await giveImage(ids.pastel!);

      const listed = (await menu()).json().sections[0].items[0];
      expect(listed.imageUrl).toBe(imageUrl(restaurant.slug, ids.pastel!));

      const response = await t.app.inject({ method: 'GET', url: listed.imageUrl });
      expect(response.statusCode).toBe(200);
      expect(response.headers).toMatchObject({
        'content-type': 'image/png',
        'x-content-type-options': 'nosniff',
        'cache-control': 'public, max-age=60',
      });

      const revalidated = await t.app.inject({
        method: 'GET',
        url: listed.imageUrl,
        headers: { 'if-none-match': response.headers.etag as string },
      });
      expect(revalidated.statusCode).toBe(304);
    });

    it.each([...ALL_ROLES, 'anonymous'] as const)(
      'serves a menu image to a %s caller',
      async (who) => {
        await giveImage(ids.water!);

        const response = await t.app.inject({
          method: 'GET',
          url: imageUrl(restaurant.slug, ids.water!),
          headers: who === 'anonymous' ? {} : users[who].headers,
        });

        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toBe('image/png');
      },
    );

    it('hides the image of an item that is not on the menu', async () => {
      await giveImage(ids.hidden!);

      const response = await t.app.inject({
        method: 'GET',
        url: imageUrl(restaurant.slug, ids.hidden!),
      });

      expect(errorOf(response)).toEqual({ status: 404, code: 'POS_ERR_NOT_FOUND' });
    });

    it("answers 404 for a product of another restaurant under this restaurant's slug", async () => {
      await giveImage(ids.pastel!);

      const response = await t.app.inject({ method: 'GET', url: imageUrl(otherSlug, ids.pastel!) });

      expect(errorOf(response)).toEqual({ status: 404, code: 'POS_ERR_NOT_FOUND' });
    });
  });
});

describe('public menu under the default rate limit (SPEC 5.4)', () => {
  let t: TestApp;
  let restaurant: Restaurant;

  beforeAll(async () => {
    t = await buildTestApp({ env: { CHEFIA_RATE_LIMIT_DEFAULT: '100/60' } });
    restaurant = await seedRestaurant(t);
  });
  afterAll(() => t.close());

  const menuFrom = (remoteAddress: string) =>
    t.app.inject({ method: 'GET', url: `/api/v1/menu/${restaurant.slug}`, remoteAddress });

  it('answers 429 to the 101st read from one address within 60 s, and serves another', async () => {
    for (let i = 0; i < 100; i += 1) {
      expect((await menuFrom('203.0.113.7')).statusCode).toBe(200);
    }

    const limited = await menuFrom('203.0.113.7');
    const other = await menuFrom('203.0.113.8');

    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ statusCode: 429, code: 'POS_ERR_RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(other.statusCode).toBe(200);
  });
});
