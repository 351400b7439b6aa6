/**
 * The only image formats the catalog accepts, keyed by sharp's name for them. Every check (file
 * extension, declared Content-Type, the MIME type `file-type` reads from the magic bytes, sharp's
 * own detection) resolves to one of these keys, so agreement is a comparison of keys.
 */
export const IMAGE_FORMATS = {
  jpeg: { contentType: 'image/jpeg', extension: 'jpg' },
  png: { contentType: 'image/png', extension: 'png' },
  webp: { contentType: 'image/webp', extension: 'webp' },
} as const;

/** sharp's name for an accepted format. */
export type ImageFormat = keyof typeof IMAGE_FORMATS;

export type ImageContentType = (typeof IMAGE_FORMATS)[ImageFormat]['contentType'];

/** The extension a stored image is given; `jpeg` uploads are stored as `jpg`. */
export type ImageExtension = (typeof IMAGE_FORMATS)[ImageFormat]['extension'];

const FORMAT_BY_UPLOAD_EXTENSION: ReadonlyMap<string, ImageFormat> = new Map([
  ['jpg', 'jpeg'],
  ['jpeg', 'jpeg'],
  ['png', 'png'],
  ['webp', 'webp'],
]);

const FORMAT_BY_CONTENT_TYPE: ReadonlyMap<string, ImageFormat> = new Map([
  ['image/jpeg', 'jpeg'],
  ['image/png', 'png'],
  ['image/webp', 'webp'],
]);

const FORMAT_BY_STORED_EXTENSION: ReadonlyMap<string, ImageFormat> = new Map([
  ['jpg', 'jpeg'],
  ['png', 'png'],
  ['webp', 'webp'],
]);

/** The format an upload's (already lower-cased, dot-less) extension names, if allowed. */
export function formatForUploadExtension(extension: string): ImageFormat | undefined {
  return FORMAT_BY_UPLOAD_EXTENSION.get(extension);
}

/**
 * The format a MIME type names, if allowed: the declared Content-Type or the one `file-type` read
 * from the magic bytes. Media types are case-insensitive (RFC 9110), so case is folded;
 * parameters are not expected on an image part and are refused.
 */
export function formatForContentType(contentType: string): ImageFormat | undefined {
  return FORMAT_BY_CONTENT_TYPE.get(contentType.trim().toLowerCase());
}

/** The format of a stored image, by the extension the store gave it. */
export function formatForStoredExtension(extension: string): ImageFormat | undefined {
  return FORMAT_BY_STORED_EXTENSION.get(extension);
}
