/**
 * A PNG writer for Node: RGBA8 pixels -> one IDAT compressed with node:zlib, so the CLI needs no image
 * library. Rows use filter 0 (none): the images are small and this keeps the bytes predictable.
 */
import { deflateSync } from 'node:zlib';
import { addPngText, crc32 } from '../image-file/index.js';

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const BIT_DEPTH = 8;
const COLOR_TYPE_RGBA = 6;

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(12 + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) bytes[4 + i] = type.charCodeAt(i);
  bytes.set(data, 8);
  view.setUint32(8 + data.length, crc32(bytes.subarray(4, 8 + data.length)));
  return bytes;
}

/**
 * Encodes RGBA8 pixels (row-major, width*height*4 bytes) as a PNG, with `text` as tEXt/iTXt chunks after
 * IHDR exactly as the browser's `toBlob()` adds them (src/image-file/png-metadata.ts).
 */
export function encodePng(
  pixels: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  text: Record<string, string> = {},
): Uint8Array {
  if (pixels.length !== width * height * 4) {
    throw new Error(
      `Expected ${width * height * 4} RGBA bytes for ${width}x${height}, got ${pixels.length}.`,
    );
  }
  const header = new Uint8Array(13);
  const headerView = new DataView(header.buffer);
  headerView.setUint32(0, width);
  headerView.setUint32(4, height);
  header.set([BIT_DEPTH, COLOR_TYPE_RGBA, 0, 0, 0], 8); // compression 0, filter method 0, no interlace
  const rowBytes = width * 4;
  const filtered = new Uint8Array((rowBytes + 1) * height);
  for (let row = 0; row < height; row++) {
    filtered[row * (rowBytes + 1)] = 0; // filter type: none
    filtered.set(pixels.subarray(row * rowBytes, (row + 1) * rowBytes), row * (rowBytes + 1) + 1);
  }
  const parts = [
    PNG_SIGNATURE,
    pngChunk('IHDR', header),
    pngChunk('IDAT', new Uint8Array(deflateSync(filtered))),
    pngChunk('IEND', new Uint8Array(0)),
  ];
  const png = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    png.set(part, offset);
    offset += part.length;
  }
  return Object.keys(text).length > 0 ? addPngText(png, text) : png;
}
