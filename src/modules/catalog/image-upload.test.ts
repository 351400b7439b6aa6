import { readdirSync } from 'node:fs';
import path from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { auditEntries, detailsOf } from '../../../test/helpers/audit.js';
import type { Role } from '../../security/authz/permissions.js';
import type { Restaurant } from '../restaurants/repository.js';
import { call, errorOf, signInEveryRole } from './catalog.test-helpers.js';
import {
  appendZip,
  containsZipSignature,
  jpegWithGpsExif,
  noisyJpeg,
  PHP_PAYLOAD,
  pngBomb,
  solidImage,
} from './images/crafted-files.test-helpers.js';

interface FilePart {
  field?: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

const BOUNDARY = '----chefia-test-boundary';

/** A multipart/form-data body written by hand, so each test says exactly what is sent. */
function multipart(parts: (FilePart | { field: string; value: string })[]) {
  const chunks = parts.flatMap((part) => {
    const head =
      'value' in part
        ? `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.field}"\r\n\r\n`
        : `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.field ?? 'image'}"; ` +
          `filename="${part.filename}"\r\nContent-Type: ${part.contentType}\r\n\r\n`;
    const body = 'value' in part ? Buffer.from(part.value) : part.data;
    return [Buffer.from(head, 'latin1'), body, Buffer.from('\r\n')];
  });
  return {
    payload: Buffer.concat([...chunks, Buffer.from(`--${BOUNDARY}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
  };
}

const MAX_BYTES = 64 * 1024;

describe.each(testDialects())('product images (%s)', (dialect) => {
  let t: TestApp;
  let restaurant: Restaurant;
  let users: Record<Role, SignedInUser>;
  let otherAdmin: SignedInUser;
  let uploads: string;
  let productId: string;

  beforeAll(async () => {
    t = await buildTestApp({
      dialect,
      env: {
        CHEFIA_UPLOAD_MAX_IMAGE_BYTES: String(MAX_BYTES),
        CHEFIA_UPLOAD_MAX_IMAGE_PIXELS: '1000000',
      },
    });
    restaurant = await seedRestaurant(t);
    users = await signInEveryRole(t, restaurant);
    otherAdmin = await signIn(t, await seedRestaurant(t), 'admin');
    uploads = path.join(t.dataDir, 'uploads');
  });
  afterAll(() => t.close());

  beforeEach(async () => {
    const created = await call(t, users.admin, 'POST', '/api/v1/products', {
      name: 'Moqueca',
      priceCents: 5900,
    });
    productId = created.json().id;
  });

  const upload = (parts: Parameters<typeof multipart>[0], as: SignedInUser = users.manager) => {
    const body = multipart(parts);
    return t.app.inject({
      method: 'POST',
      url: `/api/v1/products/${productId}/image`,
      headers: { ...as.headers, ...body.headers },
      payload: body.payload,
    });
  };

  const storedFiles = () => {
    try {
      return readdirSync(uploads).sort();
    } catch {
      return [];
    }
  };

  const imageNameOf = async (id: string) =>
    (
      await t.context.database.kysely
        .selectFrom('products')
        .select('image_name')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).image_name;

  const download = (as: SignedInUser) =>
    t.app.inject({
      method: 'GET',
      url: `/api/v1/products/${productId}/image`,
      headers: as.headers,
    });

  async function expectRefused(
    parts: Parameters<typeof multipart>[0],
    status: number,
    code: string,
  ): Promise<void> {
    const before = storedFiles();

    const response = await upload(parts);

    expect(errorOf(response)).toEqual({ status, code });
    expect(await imageNameOf(productId)).toBeNull();
    expect(storedFiles()).toEqual(before);
  }

  it('stores a re-encoded JPEG under a random name, serves it with safe headers and audits it', async () => {
    const jpeg = await solidImage('jpeg', 40, 30);

    const response = await upload([
      { filename: 'moqueca.jpg', contentType: 'image/jpeg', data: jpeg },
    ]);

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: productId, hasImage: true });
    const name = await imageNameOf(productId);
    expect(name).toMatch(/^[a-f0-9]{32}\.jpg$/);
    expect(storedFiles()).toContain(name);

    const served = await download(users.waiter);
    expect(served.statusCode).toBe(200);
    expect(served.headers).toMatchObject({
      'content-type': 'image/jpeg',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'content-disposition': `inline; filename="${name}"`,
    });
    expect((await sharp(served.rawPayload).metadata()).width).toBe(40);

    const audit = await auditEntries(t, { action: 'product.image_update', resourceId: productId });
    expect(detailsOf(audit.at(-1))).toEqual({ contentType: 'image/jpeg', width: 40, height: 30 });
  });

  it('removes the previous file when an image is replaced', async () => {
    await upload([{ filename: 'a.png', contentType: 'image/png', data: await solidImage('png') }]);
    const first = await imageNameOf(productId);

    await upload([
      { filename: 'b.webp', contentType: 'image/webp', data: await solidImage('webp') },
    ]);
    const second = await imageNameOf(productId);

    expect(second).toMatch(/\.webp$/);
    expect(storedFiles()).toContain(second);
    expect(storedFiles()).not.toContain(first);
  });

  describe('crafted files', () => {
    it('refuses a PHP script renamed .jpg with 422 POS_ERR_IMAGE_INVALID', async () => {
      const data = Buffer.from(PHP_PAYLOAD);
      await expectRefused(
        [{ filename: 'shell.jpg', contentType: 'image/jpeg', data }],
        422,
        'POS_ERR_IMAGE_INVALID',
      );
    });

    it('refuses an HTML page renamed .jpg with 422 POS_ERR_IMAGE_INVALID', async () => {
      const data = Buffer.from(
        '<!doctype html><html><script>alert(document.cookie)</script></html>',
      );
      await expectRefused(
        [{ filename: 'menu.jpg', contentType: 'image/jpeg', data }],
        422,
        'POS_ERR_IMAGE_INVALID',
      );
    });

    it('refuses SVG with 415', async () => {
      const data = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
      await expectRefused(
        [{ filename: 'logo.svg', contentType: 'image/svg+xml', data }],
        415,
        'POS_ERR_IMAGE_TYPE_NOT_ALLOWED',
      );
    });

    it('refuses a pixel bomb with 422 before decoding it', async () => {
      await expectRefused(
        [{ filename: 'bomb.png', contentType: 'image/png', data: pngBomb(20_000, 20_000) }],
        422,
        'POS_ERR_IMAGE_INVALID',
      );
    });

    it('refuses an upload over the size limit with 413', async () => {
      const big = await noisyJpeg(400, 400);
      expect(big.length).toBeGreaterThan(MAX_BYTES);

      await expectRefused(
        [{ filename: 'big.jpg', contentType: 'image/jpeg', data: big }],
        413,
        'POS_ERR_IMAGE_TOO_LARGE',
      );
    });

    it('accepts a JPEG with a ZIP appended, and stores no ZIP', async () => {
      const polyglot = appendZip(await solidImage('jpeg'), 'shell.php', PHP_PAYLOAD);
      expect(containsZipSignature(polyglot)).toBe(true);

      const response = await upload([
        { filename: 'dish.jpg', contentType: 'image/jpeg', data: polyglot },
      ]);

      expect(response.statusCode).toBe(200);
      const stored = (await download(users.admin)).rawPayload;
      expect(containsZipSignature(stored)).toBe(false);
      expect(stored.includes(Buffer.from(PHP_PAYLOAD))).toBe(false);
    });

    it('accepts a JPEG carrying GPS EXIF, and stores none of it', async () => {
      const original = await jpegWithGpsExif();
      expect((await sharp(original).metadata()).exif).toBeDefined();

      const response = await upload([
        { filename: 'dish.jpg', contentType: 'image/jpeg', data: original },
      ]);

      expect(response.statusCode).toBe(200);
      const stored = (await download(users.admin)).rawPayload;
      expect((await sharp(stored).metadata()).exif).toBeUndefined();
      expect(stored.includes(Buffer.from('Owner Name'))).toBe(false);
    });

    it.each(['../../../../tmp/evil.jpg', '..\\..\\evil.jpg', '/etc/cron.d/x.jpg'])(
      'stores a file named %s under a random name inside the upload directory',
      async (filename) => {
        const response = await upload([
          { filename, contentType: 'image/jpeg', data: await solidImage('jpeg') },
        ]);

        expect(response.statusCode).toBe(200);
        const name = await imageNameOf(productId);
        expect(name).toMatch(/^[a-f0-9]{32}\.jpg$/);
        expect(storedFiles()).toContain(name);
        for (const file of storedFiles()) expect(file).toMatch(/^[a-f0-9]{32}\.(jpg|png|webp)$/);
        expect(readdirSync(t.dataDir).filter((entry) => entry.includes('evil'))).toEqual([]);
      },
    );

    it('refuses a second file part with 413 and stores nothing', async () => {
      const jpeg = await solidImage('jpeg');
      await expectRefused(
        [
          { filename: 'a.jpg', contentType: 'image/jpeg', data: jpeg },
          { field: 'other', filename: 'b.jpg', contentType: 'image/jpeg', data: jpeg },
        ],
        413,
        'POS_ERR_PAYLOAD_TOO_LARGE',
      );
    });

    it('refuses a text field beside the file with 413 and stores nothing', async () => {
      await expectRefused(
        [
          { field: 'note', value: 'hello' },
          { filename: 'a.jpg', contentType: 'image/jpeg', data: await solidImage('jpeg') },
        ],
        413,
        'POS_ERR_PAYLOAD_TOO_LARGE',
      );
    });

    it('refuses an empty form with 400', async () => {
      await expectRefused([], 400, 'POS_ERR_VALIDATION');
    });

    it('refuses a JSON body with 415', async () => {
      const response = await call(t, users.manager, 'POST', `/api/v1/products/${productId}/image`, {
        image: 'data:image/jpeg;base64,AAAA',
      });

      expect(errorOf(response)).toEqual({ status: 415, code: 'POS_ERR_UNSUPPORTED_MEDIA_TYPE' });
      expect(await imageNameOf(productId)).toBeNull();
    });
  });

  describe('access', () => {
    const uploaders = {
      admin: 200,
      manager: 200,
      cashier: 403,
      waiter: 403,
      kitchen: 403,
      customer: 403,
    };

    it.each(Object.entries(uploaders))(
      'POST /products/:id/image as %s answers %i',
      async (role, status) => {
        const response = await upload(
          [{ filename: 'x.jpg', contentType: 'image/jpeg', data: await solidImage('jpeg') }],
          users[role as Role],
        );

        expect(response.statusCode).toBe(status);
        expect((await imageNameOf(productId)) !== null).toBe(status === 200);
      },
    );

    const readers = {
      admin: 200,
      manager: 200,
      cashier: 200,
      waiter: 200,
      kitchen: 200,
      customer: 403,
    };

    it.each(Object.entries(readers))(
      'GET /products/:id/image as %s answers %i',
      async (role, status) => {
        await upload([
          { filename: 'x.jpg', contentType: 'image/jpeg', data: await solidImage('jpeg') },
        ]);

        const response = await download(users[role as Role]);

        expect(response.statusCode).toBe(status);
      },
    );

    it('answers 404 for a product without an image', async () => {
      expect(errorOf(await download(users.admin))).toEqual({
        status: 404,
        code: 'POS_ERR_NOT_FOUND',
      });
    });

    it("answers 404 for another restaurant's product and stores nothing", async () => {
      const before = storedFiles();

      const response = await upload(
        [{ filename: 'x.jpg', contentType: 'image/jpeg', data: await solidImage('jpeg') }],
        otherAdmin,
      );

      expect(errorOf(response)).toEqual({ status: 404, code: 'POS_ERR_NOT_FOUND' });
      expect(storedFiles()).toEqual(before);
      expect(await imageNameOf(productId)).toBeNull();
      expect((await download(otherAdmin)).statusCode).toBe(404);
    });

    it('refuses an anonymous upload with 401', async () => {
      const body = multipart([
        { filename: 'x.jpg', contentType: 'image/jpeg', data: await solidImage('jpeg') },
      ]);
      const response = await t.app.inject({
        method: 'POST',
        url: `/api/v1/products/${productId}/image`,
        headers: body.headers,
        payload: body.payload,
      });

      expect(errorOf(response)).toEqual({ status: 401, code: 'POS_ERR_UNAUTHENTICATED' });
      expect(await imageNameOf(productId)).toBeNull();
    });
  });
});
