import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { AppError } from '../../../core/errors.js';
import {
  formatForStoredExtension,
  IMAGE_FORMATS,
  type ImageContentType,
  type ImageExtension,
} from './image-formats.js';

/** Returns `size` unpredictable bytes. Injected so tests can choose the stored names. */
export type RandomSource = (size: number) => Buffer;

/**
 * The only shape a stored name can take. Checking it before touching the disk is what makes path
 * traversal impossible: no separator, no dot segment, no absolute path can match.
 */
const STORED_NAME = /^[a-f0-9]{32}\.(jpg|png|webp)$/;

const NAME_BYTES = 16;

/** Whether `name` is a name the store could have produced. */
export function isStoredImageName(name: string): boolean {
  return STORED_NAME.test(name);
}

/** The Content-Type to serve a stored image with, or null when the name is not a stored name. */
export function contentTypeFor(name: string): ImageContentType | null {
  const match = STORED_NAME.exec(name);
  const format = match?.[1] === undefined ? undefined : formatForStoredExtension(match[1]);
  return format === undefined ? null : IMAGE_FORMATS[format].contentType;
}

/**
 * The headers a route serving a stored image must send, or null for a name that is not a stored
 * name. `nosniff` stops a browser second-guessing the type, the disposition names only the random
 * name, and the CSP keeps the response from running anything should it ever be opened as a
 * document.
 */
export function servingHeadersFor(name: string): Record<string, string> | null {
  const contentType = contentTypeFor(name);
  if (contentType === null) {
    return null;
  }

  return {
    'content-type': contentType,
    'x-content-type-options': 'nosniff',
    'content-disposition': `inline; filename="${name}"`,
    'content-security-policy': "default-src 'none'; sandbox",
  };
}

/**
 * Product images on disk, in a directory outside any static root so nothing is served without
 * going through a route. Names are generated here from random bytes; a client's file name never
 * reaches the file system.
 */
export class ImageStore {
  readonly #directory: string;
  readonly #random: RandomSource;

  constructor(directory: string, options: { random?: RandomSource } = {}) {
    this.#directory = directory;
    this.#random = options.random ?? randomBytes;
  }

  /** Writes a processed image under a new random name, readable by this process only. */
  async save(bytes: Buffer, extension: ImageExtension): Promise<string> {
    const name = `${this.#random(NAME_BYTES).toString('hex')}.${extension}`;
    if (!isStoredImageName(name)) {
      throw new AppError('POS_ERR_INTERNAL');
    }

    await mkdir(this.#directory, { recursive: true, mode: 0o700 });

    // 'wx' fails if the name exists, so a collision or a planted symlink is never written through.

    await writeFile(join(this.#directory, name), bytes, { mode: 0o600, flag: 'wx' });

    return name;
  }

  /** The stored bytes, or null when the name is not a stored name or the file is gone. */
  async read(name: string): Promise<Buffer | null> {
    if (!isStoredImageName(name)) {
      return null;
    }

    // O_NOFOLLOW: a symlink placed in the directory is refused instead of followed elsewhere.
    const flags = constants.O_RDONLY | constants.O_NOFOLLOW;
    try {
      const file = await open(join(this.#directory, name), flags);
      try {
        return await file.readFile();
      } finally {
        await file.close();
      }
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ELOOP') {
        return null;
      }
      throw error;
    }
  }

  /** Deletes a stored image; false when the name is not a stored name or nothing was there. */
  async remove(name: string): Promise<boolean> {
    if (!isStoredImageName(name)) {
      return false;
    }

    try {
      // unlink on a symlink removes the link itself, never its target.

      await unlink(join(this.#directory, name));
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') {
        return false;
      }
      throw error;
    }
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
