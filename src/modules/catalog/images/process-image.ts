import { posix } from 'node:path';

import { fileTypeFromBuffer } from 'file-type';
import sharp, { type Sharp } from 'sharp';

import { AppError } from '../../../core/errors.js';
import {
  formatForContentType,
  formatForUploadExtension,
  IMAGE_FORMATS,
  type ImageContentType,
  type ImageExtension,
  type ImageFormat,
} from './image-formats.js';

export interface ImageLimits {
  /** Largest upload accepted, in bytes. */
  maxBytes: number;
  /** Largest width × height decoded; anything bigger is treated as a decompression bomb. */
  maxPixels: number;
}

/**
 * 10 MB as in the security guideline. 25 megapixels covers a 24 MP camera photo while bounding
 * the decoded RGBA bitmap to about 100 MB per upload.
 */
export const DEFAULT_IMAGE_LIMITS: Readonly<ImageLimits> = {
  maxBytes: 10 * 1024 * 1024,
  maxPixels: 25_000_000,
};

export interface ProductImageUpload {
  data: Buffer;
  /** The client's file name: read for its last extension only, never used as a path. */
  filename: string;
  /** The Content-Type the client declared for the file part. */
  declaredType: string;
  limits: ImageLimits;
}

export interface ProcessedImage {
  data: Buffer;
  contentType: ImageContentType;
  extension: ImageExtension;
  width: number;
  height: number;
}

const LOSSY_QUALITY = 85;

/**
 * Validates an uploaded product image and returns a freshly encoded copy that is safe to store
 * and serve.
 *
 * The checks run cheapest first and stop at the first failure. The extension, the declared type
 * and the magic bytes must all name the same allowed format, which turns away SVG, HTML, scripts
 * and executables whatever they are called. The image is then decoded and encoded again from its
 * pixels alone: EXIF (GPS included), XMP, ICC profiles and comments are not copied, and neither
 * is anything hidden after the end of the image. A JPEG with a ZIP or a PHP script appended is
 * therefore accepted and neutralised rather than rejected, because the stored file no longer
 * contains the payload; the tests prove it.
 */
export async function processProductImage(upload: ProductImageUpload): Promise<ProcessedImage> {
  const { data, filename, declaredType, limits } = upload;

  if (data.length > limits.maxBytes) {
    throw new AppError('POS_ERR_IMAGE_TOO_LARGE');
  }

  const formatByName = formatForUploadExtension(lastExtension(filename));
  if (formatByName === undefined) {
    throw new AppError('POS_ERR_IMAGE_TYPE_NOT_ALLOWED');
  }

  const formatByDeclaration = formatForContentType(declaredType);
  if (formatByDeclaration === undefined) {
    throw new AppError('POS_ERR_IMAGE_TYPE_NOT_ALLOWED');
  }

  const detected = await fileTypeFromBuffer(data);
  const formatByContent = detected === undefined ? undefined : formatForContentType(detected.mime);
  if (formatByContent !== formatByName || formatByContent !== formatByDeclaration) {
    throw new AppError('POS_ERR_IMAGE_INVALID');
  }

  return reencode(data, formatByContent, limits.maxPixels);
}

/**
 * The last extension, lower-cased, without the dot; empty when there is none. The POSIX flavour
 * treats a backslash as an ordinary character, so `a.jpg\evil` has no allowed extension.
 */
function lastExtension(filename: string): string {
  return posix.extname(filename).slice(1).toLowerCase();
}

async function reencode(
  data: Buffer,
  format: ImageFormat,
  maxPixels: number,
): Promise<ProcessedImage> {
  // 'warning' is sharp's strictest level: a truncated or damaged image is refused, not patched.
  const image = sharp(data, { limitInputPixels: maxPixels, failOn: 'warning' });

  const header = await image.metadata().catch(invalidImage);
  if (header.format !== format) {
    throw new AppError('POS_ERR_IMAGE_INVALID');
  }

  // limitInputPixels enforces the same bound during decoding; checking the header first refuses
  // a decompression bomb before a single pixel is inflated, whatever sharp's internals do.
  if (header.width * header.height > maxPixels) {
    throw new AppError('POS_ERR_IMAGE_INVALID');
  }

  // No withMetadata()/keepExif(): sharp writes only the pixels, so nothing from the input's
  // metadata or trailing bytes reaches the output. rotate() bakes the EXIF orientation in first.
  const { data: encoded, info } = await encoderFor(image.rotate(), format)
    .toBuffer({ resolveWithObject: true })
    .catch(invalidImage);

  return {
    data: encoded,
    contentType: IMAGE_FORMATS[format].contentType,
    extension: IMAGE_FORMATS[format].extension,
    width: info.width,
    height: info.height,
  };
}

function encoderFor(image: Sharp, format: ImageFormat): Sharp {
  switch (format) {
    case 'jpeg':
      return image.jpeg({ quality: LOSSY_QUALITY, mozjpeg: false });
    case 'png':
      return image.png();
    case 'webp':
      return image.webp({ quality: LOSSY_QUALITY });
  }
}

/** sharp's own message may describe the file; the client gets the catalog's fixed one. */
function invalidImage(cause: unknown): never {
  throw new AppError('POS_ERR_IMAGE_INVALID', { cause });
}
