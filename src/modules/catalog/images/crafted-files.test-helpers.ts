import { crc32, deflateSync } from 'node:zlib';

import sharp from 'sharp';

/**
 * Real files an attacker could upload, built byte by byte so each test states exactly what the
 * file contains. Base images come from sharp; everything hostile is assembled here by hand.
 */

export const PHP_PAYLOAD = "<?php system($_GET['c']); ?>";

const ZIP_SIGNATURE = Buffer.from('PK\x03\x04', 'latin1');

export function solidImage(
  format: 'jpeg' | 'png' | 'webp',
  width = 16,
  height = 16,
): Promise<Buffer> {
  const canvas = sharp({ create: { width, height, channels: 3, background: '#c0392b' } });
  return canvas.toFormat(format).toBuffer();
}

/** A JPEG of random noise: its entropy-coded scan is most of the file, as in a photo. */
export function noisyJpeg(width: number, height: number): Promise<Buffer> {
  const noise = { type: 'gaussian', mean: 128, sigma: 40 } as const;
  // The typings demand a background even though noise paints every pixel.
  return sharp({ create: { width, height, channels: 3, background: '#000', noise } })
    .jpeg()
    .toBuffer();
}

/** A JPEG whose EXIF holds a GPS position (IFD3 is the GPS directory) and an owner name. */
export function jpegWithGpsExif(): Promise<Buffer> {
  return sharp({ create: { width: 16, height: 16, channels: 3, background: '#2c3e50' } })
    .withExif({
      IFD0: { Copyright: 'Owner Name' },
      IFD3: {
        GPSLatitudeRef: 'S',
        GPSLatitude: '23/1 33/1 0/1',
        GPSLongitudeRef: 'W',
        GPSLongitude: '46/1 38/1 0/1',
        GPSMapDatum: 'WGS-84',
      },
    })
    .jpeg()
    .toBuffer();
}

/** A landscape JPEG whose EXIF says "rotate 90° clockwise to display" (orientation 6). */
export function jpegWithOrientation(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#27ae60' } })
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
}

/** A JPEG carrying `text` in a COM segment right after SOI: the classic "PHP in a JPEG". */
export function withJpegComment(jpeg: Buffer, text: string): Buffer {
  const body = Buffer.from(text, 'latin1');
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xfffe, 0);
  header.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, body, jpeg.subarray(2)]);
}

/**
 * `prefix` followed by a real ZIP archive holding one stored file. Offsets count from the start
 * of the whole buffer, as in a working JPEG/ZIP polyglot, so `unzip` would open it.
 */
export function appendZip(prefix: Buffer, entryName: string, content: string): Buffer {
  const name = Buffer.from(entryName, 'latin1');
  const data = Buffer.from(content, 'latin1');
  const checksum = crc32(data);

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(checksum, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(checksum, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(prefix.length, 42);

  const centralOffset = prefix.length + local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(centralOffset, 16);

  return Buffer.concat([prefix, local, name, data, central, name, end]);
}

export function containsZipSignature(bytes: Buffer): boolean {
  return bytes.includes(ZIP_SIGNATURE);
}

function pngChunk(type: string, body: Buffer): Buffer {
  const typeAndBody = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc32(typeAndBody));
  return Buffer.concat([length, typeAndBody, checksum]);
}

/**
 * A valid 1-bit greyscale PNG of `width` × `height` black pixels. All-zero rows deflate about
 * a thousandfold, so 20000 × 20000 (400 megapixels, 400 MB once decoded) is some 50 KB on disk.
 */
export function pngBomb(width: number, height: number): Buffer {
  const rowLength = 1 + Math.ceil(width / 8); // filter byte, then 8 pixels a byte
  const raw = Buffer.alloc(rowLength * height);
  return pngFile(width, height, deflateSync(raw, { level: 9 }));
}

/** A PNG whose header claims `width` × `height` but whose pixel data holds a single row. */
export function pngWithLyingHeader(width: number, height: number): Buffer {
  const oneRow = Buffer.alloc(1 + Math.ceil(width / 8));
  return pngFile(width, height, deflateSync(oneRow));
}

function pngFile(width: number, height: number, compressedPixels: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(1, 8); // bit depth
  header.writeUInt8(0, 9); // colour type: greyscale

  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', compressedPixels),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The start of a Windows PE executable: MZ header pointing at a PE signature. */
export function windowsExecutable(): Buffer {
  const file = Buffer.alloc(512);
  file.write('MZ', 0, 'latin1');
  file.write('This program cannot be run in DOS mode.', 0x4e, 'latin1');
  file.writeUInt32LE(0x80, 0x3c);
  file.write('PE\0\0', 0x80, 'latin1');
  return file;
}
