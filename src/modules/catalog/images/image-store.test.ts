import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AppError } from '../../../core/errors.js';
import { solidImage } from './crafted-files.test-helpers.js';
import {
  contentTypeFor,
  ImageStore,
  isStoredImageName,
  servingHeadersFor,
  type RandomSource,
} from './image-store.js';
import { DEFAULT_IMAGE_LIMITS, processProductImage } from './process-image.js';

const FIXED_HEX = '0123456789abcdef0123456789abcdef';

const fixedRandom: RandomSource = (size) => Buffer.from(FIXED_HEX, 'hex').subarray(0, size);

let root: string;
let uploads: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'chefia-images-'));
  uploads = join(root, 'data', 'uploads');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every path under `directory`, relative to it, so a test can see all that was written. */
async function tree(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true });
  return entries.sort();
}

function permissions(mode: number): number {
  return mode & 0o777;
}

describe('ImageStore', () => {
  it('saves under a random 32-hex name with the given extension and reads it back', async () => {
    const store = new ImageStore(uploads);
    const bytes = await solidImage('png');

    const name = await store.save(bytes, 'png');

    expect(name).toMatch(/^[a-f0-9]{32}\.png$/);
    expect(await store.read(name)).toEqual(bytes);
  });

  it('gives every saved image a different name', async () => {
    const store = new ImageStore(uploads);
    const bytes = await solidImage('jpeg');

    const names = await Promise.all(Array.from({ length: 20 }, () => store.save(bytes, 'jpg')));

    expect(new Set(names).size).toBe(20);
  });

  it('names files from the injected random source', async () => {
    const store = new ImageStore(uploads, { random: fixedRandom });

    const name = await store.save(Buffer.from('bytes'), 'webp');

    expect(name).toBe(`${FIXED_HEX}.webp`);
  });

  it('creates the directory as 0700 and the files as 0600', async () => {
    const store = new ImageStore(uploads);

    const name = await store.save(await solidImage('jpeg'), 'jpg');

    expect(permissions((await stat(uploads)).mode)).toBe(0o700);
    expect(permissions((await stat(join(uploads, name))).mode)).toBe(0o600);
  });

  it('never overwrites an existing file when a name repeats', async () => {
    const store = new ImageStore(uploads, { random: fixedRandom });
    await store.save(Buffer.from('first'), 'jpg');

    await expect(store.save(Buffer.from('second'), 'jpg')).rejects.toMatchObject({
      code: 'EEXIST',
    });

    expect(await readFile(join(uploads, `${FIXED_HEX}.jpg`), 'utf8')).toBe('first');
  });

  it('refuses to save when the random source yields too few bytes', async () => {
    const store = new ImageStore(uploads, { random: () => Buffer.alloc(4) });

    const attempt = store.save(Buffer.from('bytes'), 'png');

    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ code: 'POS_ERR_INTERNAL' });
  });

  it('returns null for a well-formed name that was never saved', async () => {
    const store = new ImageStore(uploads);
    await store.save(Buffer.from('bytes'), 'png');

    expect(await store.read(`${FIXED_HEX}.png`)).toBeNull();
  });

  it('removes a stored image and reports whether anything was removed', async () => {
    const store = new ImageStore(uploads);
    const name = await store.save(Buffer.from('bytes'), 'png');

    expect(await store.remove(name)).toBe(true);
    expect(await store.remove(name)).toBe(false);
    expect(await store.read(name)).toBeNull();
  });

  it('gives the content type of each stored extension', () => {
    expect(contentTypeFor(`${FIXED_HEX}.jpg`)).toBe('image/jpeg');
    expect(contentTypeFor(`${FIXED_HEX}.png`)).toBe('image/png');
    expect(contentTypeFor(`${FIXED_HEX}.webp`)).toBe('image/webp');
    expect(contentTypeFor(`${FIXED_HEX}.svg`)).toBeNull();
  });

  it('gives the serving headers: exact type, nosniff, disposition with the stored name', () => {
    expect(servingHeadersFor(`${FIXED_HEX}.png`)).toEqual({
      'content-type': 'image/png',
      'x-content-type-options': 'nosniff',
      'content-disposition': `inline; filename="${FIXED_HEX}.png"`,
      'content-security-policy': "default-src 'none'; sandbox",
    });
    expect(servingHeadersFor('../secret.png')).toBeNull();
  });

  describe('security', () => {
    const UPPER_HEX = FIXED_HEX.toUpperCase();
    let secret: string;

    // Every name the store must refuse points at a file that really exists, so a refusal is
    // the name check at work and not a missing file.
    const planted = [
      ['a parent-directory path', '../secret.jpg'],
      ['a nested traversal', `../../${FIXED_HEX}.jpg`],
      ['uppercase hex', `${UPPER_HEX}.jpg`],
      ['an extension the store never writes', `${FIXED_HEX}.jpeg`],
      ['a script extension', `${FIXED_HEX}.php`],
      ['a double extension', `${FIXED_HEX}.jpg.php`],
    ] as const;

    beforeEach(async () => {
      await mkdir(uploads, { recursive: true });
      secret = join(uploads, '..', 'secret.jpg');
      for (const [, name] of planted) {
        await writeFile(join(uploads, name), 'outside the store');
      }
    });

    it.each(planted)('reads and removes nothing for %s', async (_case, name) => {
      const store = new ImageStore(uploads);

      expect(await store.read(name)).toBeNull();
      expect(await store.remove(name)).toBe(false);

      expect(await readFile(join(uploads, name), 'utf8')).toBe('outside the store');
    });

    it.each([
      ['an absolute path', '/etc/passwd'],
      ['a trailing newline', `${FIXED_HEX}.jpg\n`],
      ['a NUL byte', `${FIXED_HEX}.jpg\0`],
      ['a name one hex digit short', `${FIXED_HEX.slice(1)}.jpg`],
      ['an empty name', ''],
    ])('reads and removes nothing for %s', async (_case, name) => {
      const store = new ImageStore(uploads);

      expect(await store.read(name)).toBeNull();
      expect(await store.remove(name)).toBe(false);
    });

    it('reads nothing for the absolute path of a file it stored', async () => {
      const store = new ImageStore(uploads);
      const name = await store.save(Buffer.from('bytes'), 'jpg');

      expect(await store.read(join(uploads, name))).toBeNull();
    });

    it('does not follow a symlink planted in the store directory', async () => {
      const store = new ImageStore(uploads);
      await symlink(secret, join(uploads, `${FIXED_HEX}.jpg`));

      expect(await store.read(`${FIXED_HEX}.jpg`)).toBeNull();
    });

    it('does not write through a symlink planted under the next name', async () => {
      const store = new ImageStore(uploads, { random: fixedRandom });
      await symlink(secret, join(uploads, `${FIXED_HEX}.jpg`));

      await expect(store.save(Buffer.from('overwrite'), 'jpg')).rejects.toMatchObject({
        code: 'EEXIST',
      });

      expect(await readFile(secret, 'utf8')).toBe('outside the store');
    });

    it('removes a planted symlink without touching its target', async () => {
      const store = new ImageStore(uploads);
      await symlink(secret, join(uploads, `${FIXED_HEX}.jpg`));

      expect(await store.remove(`${FIXED_HEX}.jpg`)).toBe(true);

      expect(await readFile(secret, 'utf8')).toBe('outside the store');
    });

    it('accepts no name that resolves outside the store directory', () => {
      const fragment = fc.constantFrom(
        '..',
        '/',
        '\\',
        '.',
        FIXED_HEX,
        FIXED_HEX.slice(0, 16),
        '.jpg',
        '.png',
        '%2e',
        '\0',
        '\n',
      );
      const name = fc.array(fragment, { maxLength: 8 }).map((parts) => parts.join(''));

      fc.assert(
        fc.property(name, (candidate) => {
          if (isStoredImageName(candidate)) {
            expect(dirname(resolve(uploads, candidate))).toBe(resolve(uploads));
            expect(candidate).not.toMatch(/[/\\\0\n]|\.\./);
          }
        }),
      );
    });
  });

  it('stores an upload named ../../etc/passwd.jpg inside the store, randomly named', async () => {
    const store = new ImageStore(uploads);
    const processed = await processProductImage({
      data: await solidImage('jpeg'),
      filename: '../../etc/passwd.jpg',
      declaredType: 'image/jpeg',
      limits: DEFAULT_IMAGE_LIMITS,
    });

    const name = await store.save(processed.data, processed.extension);

    expect(name).toMatch(/^[a-f0-9]{32}\.jpg$/);
    expect(await tree(root)).toEqual([
      'data',
      join('data', 'uploads'),
      join('data', 'uploads', name),
    ]);
  });
});
