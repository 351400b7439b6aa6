import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { AppError, ERROR_CATALOG, type ErrorCode } from '../../../core/errors.js';
import {
  appendZip,
  containsZipSignature,
  jpegWithGpsExif,
  jpegWithOrientation,
  noisyJpeg,
  PHP_PAYLOAD,
  pngBomb,
  pngWithLyingHeader,
  solidImage,
  windowsExecutable,
  withJpegComment,
} from './crafted-files.test-helpers.js';
import {
  DEFAULT_IMAGE_LIMITS,
  processProductImage,
  type ProductImageUpload,
} from './process-image.js';

const limits = DEFAULT_IMAGE_LIMITS;

function upload(data: Buffer, filename: string, declaredType: string): ProductImageUpload {
  return { data, filename, declaredType, limits };
}

async function rejection(attempt: Promise<unknown>): Promise<AppError> {
  const error: unknown = await attempt.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!(error instanceof AppError)) {
    throw new Error('expected an AppError rejection', { cause: error });
  }
  return error;
}

async function expectRejected(attempt: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await rejection(attempt);
  expect(error.code).toBe(code);
  expect(error.message).toBe(ERROR_CATALOG[code].message);
}

describe('processProductImage', () => {
  describe('accepted images', () => {
    it.each([
      ['jpeg', 'dish.jpg', 'image/jpeg', 'jpg'],
      ['jpeg', 'dish.JPEG', 'image/jpeg', 'jpg'],
      ['png', 'dish.png', 'image/png', 'png'],
      ['webp', 'dish.webp', 'image/webp', 'webp'],
    ] as const)('re-encodes a %s named %s', async (format, filename, declaredType, extension) => {
      const original = await solidImage(format, 24, 12);

      const processed = await processProductImage(upload(original, filename, declaredType));

      expect(processed).toMatchObject({ contentType: declaredType, extension });
      expect({ width: processed.width, height: processed.height }).toEqual({
        width: 24,
        height: 12,
      });
      const output = await sharp(processed.data).metadata();
      expect(output.format).toBe(format);
    });

    it('folds the case of the declared type', async () => {
      const original = await solidImage('png');

      const processed = await processProductImage(upload(original, 'dish.png', 'IMAGE/PNG'));

      expect(processed.contentType).toBe('image/png');
    });

    it('applies the EXIF orientation to the pixels and reports the output size', async () => {
      const landscape = await jpegWithOrientation(40, 20);

      const processed = await processProductImage(upload(landscape, 'dish.jpg', 'image/jpeg'));

      expect({ width: processed.width, height: processed.height }).toEqual({
        width: 20,
        height: 40,
      });
      const output = await sharp(processed.data).metadata();
      expect(output.orientation).toBeUndefined();
    });

    it('accepts an upload of exactly maxBytes', async () => {
      const original = await solidImage('png');

      const processed = await processProductImage({
        ...upload(original, 'dish.png', 'image/png'),
        limits: { ...limits, maxBytes: original.length },
      });

      expect(processed.contentType).toBe('image/png');
    });
  });

  describe('size and type checks', () => {
    it('rejects an upload one byte over maxBytes before looking at it', async () => {
      const original = await solidImage('jpeg');
      const tooSmallLimits = { ...limits, maxBytes: original.length - 1 };

      const attempt = processProductImage({
        ...upload(original, 'dish.jpg', 'image/jpeg'),
        limits: tooSmallLimits,
      });

      await expectRejected(attempt, 'POS_ERR_IMAGE_TOO_LARGE');
    });

    it.each(['dish', 'dish.gif', 'dish.svg', 'dish.jpg.php', 'dish.jpg.', 'dish.jpg\\x', '.jpg'])(
      'rejects the file name %j as a type not allowed',
      async (filename) => {
        const original = await solidImage('jpeg');

        const attempt = processProductImage(upload(original, filename, 'image/jpeg'));

        await expectRejected(attempt, 'POS_ERR_IMAGE_TYPE_NOT_ALLOWED');
      },
    );

    it.each(['image/svg+xml', 'image/gif', 'text/html', 'image/jpeg; charset=utf-8', ''])(
      'rejects the declared type %j as a type not allowed',
      async (declaredType) => {
        const original = await solidImage('jpeg');

        const attempt = processProductImage(upload(original, 'dish.jpg', declaredType));

        await expectRejected(attempt, 'POS_ERR_IMAGE_TYPE_NOT_ALLOWED');
      },
    );

    it('rejects a real PNG named .jpg', async () => {
      const png = await solidImage('png');

      const attempt = processProductImage(upload(png, 'dish.jpg', 'image/jpeg'));

      await expectRejected(attempt, 'POS_ERR_IMAGE_INVALID');
    });

    it('rejects a real JPEG declared as image/png', async () => {
      const jpeg = await solidImage('jpeg');

      const attempt = processProductImage(upload(jpeg, 'dish.jpg', 'image/png'));

      await expectRejected(attempt, 'POS_ERR_IMAGE_INVALID');
    });

    it('rejects an empty file', async () => {
      const attempt = processProductImage(upload(Buffer.alloc(0), 'dish.png', 'image/png'));

      await expectRejected(attempt, 'POS_ERR_IMAGE_INVALID');
    });
  });

  describe('security', () => {
    it('rejects a PHP script renamed .jpg', async () => {
      const script = Buffer.from(PHP_PAYLOAD);

      const attempt = processProductImage(upload(script, 'shell.jpg', 'image/jpeg'));

      await expectRejected(attempt, 'POS_ERR_IMAGE_INVALID');
    });

    it('rejects an HTML page renamed .jpg', async () => {
      const page = Buffer.from('<!doctype html><html><body><script>alert(1)</script></body>');

      const attempt = processProductImage(upload(page, 'menu.jpg', 'image/jpeg'));

      await expectRejected(attempt, 'POS_ERR_IMAGE_INVALID');
    });

    it('rejects a PHP script behind a forged JPEG signature', async () => {
      const forged = Buffer.concat([
        Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
        Buffer.from(PHP_PAYLOAD),
      ]);

      const attempt = processProductImage(upload(forged, 'shell.jpg', 'image/jpeg'));

      await expectRejected(attempt, 'POS_ERR_IMAGE_INVALID');
    });

    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>');

    it('rejects an SVG named .svg as a type not allowed', async () => {
      const attempt = processProductImage(upload(svg, 'logo.svg', 'image/svg+xml'));

      await expectRejected(attempt, 'POS_ERR_IMAGE_TYPE_NOT_ALLOWED');
    });

    it('rejects an SVG named .png as not an image', async () => {
      const attempt = processProductImage(upload(svg, 'logo.png', 'image/png'));

      await expectRejected(attempt, 'POS_ERR_IMAGE_INVALID');
    });

    it('rejects a Windows executable named .png', async () => {
      const attempt = processProductImage(upload(windowsExecutable(), 'setup.png', 'image/png'));

      await expectRejected(attempt, 'POS_ERR_IMAGE_INVALID');
    });

    it('accepts a JPEG with a ZIP appended, dropping the archive and its payload', async () => {
      const polyglot = appendZip(await solidImage('jpeg'), 'shell.php', PHP_PAYLOAD);
      expect(containsZipSignature(polyglot)).toBe(true);

      const processed = await processProductImage(upload(polyglot, 'dish.jpg', 'image/jpeg'));

      expect(containsZipSignature(processed.data)).toBe(false);
      expect(processed.data.includes('shell.php')).toBe(false);
      expect(processed.data.includes(PHP_PAYLOAD)).toBe(false);
    });

    it('drops a PHP payload hidden in a JPEG comment segment', async () => {
      const carrier = withJpegComment(await solidImage('jpeg'), PHP_PAYLOAD);
      expect((await sharp(carrier).metadata()).format).toBe('jpeg');

      const processed = await processProductImage(upload(carrier, 'dish.jpg', 'image/jpeg'));

      expect(processed.data.includes('<?php')).toBe(false);
    });

    it('strips GPS and every other EXIF field', async () => {
      const located = await jpegWithGpsExif();
      const input = await sharp(located).metadata();
      expect(input.exif?.includes('WGS-84')).toBe(true);
      expect(input.exif?.includes(Buffer.from([0x25, 0x88]))).toBe(true); // GPS IFD pointer, LE

      const processed = await processProductImage(upload(located, 'dish.jpg', 'image/jpeg'));

      const output = await sharp(processed.data).metadata();
      expect(output.exif).toBeUndefined();
      expect(output.xmp).toBeUndefined();
      expect(output.icc).toBeUndefined();
      expect(processed.data.includes('Exif')).toBe(false);
      expect(processed.data.includes('WGS-84')).toBe(false);
      expect(processed.data.includes('Owner Name')).toBe(false);
    });

    it('rejects a 400-megapixel PNG bomb quickly', async () => {
      const bomb = pngBomb(20_000, 20_000);
      expect(bomb.length).toBeLessThan(limits.maxBytes);

      const started = performance.now();
      const attempt = processProductImage(upload(bomb, 'dish.png', 'image/png'));
      await expectRejected(attempt, 'POS_ERR_IMAGE_INVALID');

      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it('rejects a PNG whose header claims 50000 × 50000 pixels', async () => {
      const liar = pngWithLyingHeader(50_000, 50_000);

      const started = performance.now();
      const attempt = processProductImage(upload(liar, 'dish.png', 'image/png'));
      await expectRejected(attempt, 'POS_ERR_IMAGE_INVALID');

      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it('enforces a configured pixel limit lower than the default', async () => {
      const original = await solidImage('png', 101, 100);

      const attempt = processProductImage({
        ...upload(original, 'dish.png', 'image/png'),
        limits: { ...limits, maxPixels: 100 * 100 },
      });

      await expectRejected(attempt, 'POS_ERR_IMAGE_INVALID');
    });

    it('rejects a JPEG cut short in its pixel data instead of padding it', async () => {
      const whole = await noisyJpeg(256, 256);
      const truncated = whole.subarray(0, Math.floor(whole.length * 0.6));
      expect((await sharp(truncated).metadata()).format).toBe('jpeg');

      const attempt = processProductImage(upload(truncated, 'dish.jpg', 'image/jpeg'));

      await expectRejected(attempt, 'POS_ERR_IMAGE_INVALID');
    });

    it('accepts a path-traversal file name, using only its extension', async () => {
      const original = await solidImage('jpeg');

      const processed = await processProductImage(
        upload(original, '../../etc/passwd.jpg', 'image/jpeg'),
      );

      expect(processed.extension).toBe('jpg');
      expect(processed.data.includes('passwd')).toBe(false);
    });

    it('never echoes the file name or declared type in an error', async () => {
      const filename = '<script>alert(1)</script>.jpg';
      const declaredType = 'image/png<script>';
      const png = await solidImage('png');

      const errors = await Promise.all([
        rejection(processProductImage(upload(png, filename, 'image/jpeg'))),
        rejection(processProductImage(upload(png, 'dish.png', declaredType))),
        rejection(processProductImage(upload(Buffer.from(PHP_PAYLOAD), filename, 'image/jpeg'))),
      ]);

      for (const error of errors) {
        expect(error.message).not.toContain('script');
        expect(JSON.stringify(error)).not.toContain('script');
      }
    });
  });
});
