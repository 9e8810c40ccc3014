import { inflateSync } from 'node:zlib';
import { expect } from 'vitest';
import { readPngChunks, readPngText } from '../../src/image-file/png-metadata.js';

/**
 * Decodes an 8-bit RGBA, non-interlaced PNG whose rows all use filter 0 (what src/node/png.ts writes):
 * enough to check the Node writer's pixels without an image library. Anything else throws.
 */
export function decodeRgbaPng(png: Uint8Array): { width: number; height: number; pixels: Uint8Array } {
  const chunks = readPngChunks(png);
  if (!chunks.every((chunk) => chunk.crcValid)) throw new Error('a chunk has a bad CRC');
  const header = chunks.find((chunk) => chunk.type === 'IHDR')!.data;
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  if (header[8] !== 8 || header[9] !== 6 || header[12] !== 0)
    throw new Error('not 8-bit RGBA, non-interlaced');
  const idat = Buffer.concat(chunks.filter((chunk) => chunk.type === 'IDAT').map((chunk) => chunk.data));
  const rows = inflateSync(idat);
  const rowBytes = width * 4;
  if (rows.length !== (rowBytes + 1) * height) throw new Error(`IDAT holds ${rows.length} bytes`);
  const pixels = new Uint8Array(rowBytes * height);
  for (let row = 0; row < height; row++) {
    const filter = rows[row * (rowBytes + 1)];
    if (filter !== 0) throw new Error(`row ${row} uses filter ${filter}`);
    pixels.set(rows.subarray(row * (rowBytes + 1) + 1, (row + 1) * (rowBytes + 1)), row * rowBytes);
  }
  return { width, height, pixels };
}

/**
 * Checks a PNG the Node generator wrote for tiny-fp32 in one step: its metadata, its 64x64 size, varied
 * red values and opaque alpha. Returns its RGBA pixels for comparisons.
 */
export function expectTinyFp32Png(png: Uint8Array, request: { prompt: string; seed: number }): Uint8Array {
  expect(readPngText(png)).toEqual({
    prompt: request.prompt,
    seed: String(request.seed),
    steps: '1',
    model: 'tiny-fp32',
    size: '64x64',
    Software: 'sd-turbo-web',
  });
  const { width, height, pixels } = decodeRgbaPng(png);
  expect([width, height]).toEqual([64, 64]);
  expect(new Set(pixels.filter((_, i) => i % 4 === 0)).size).toBeGreaterThan(16);
  expect(pixels.filter((_, i) => i % 4 === 3).every((alpha) => alpha === 255)).toBe(true);
  return pixels;
}
