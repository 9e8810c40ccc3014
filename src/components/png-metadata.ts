/**
 * PNG text metadata: inserts tEXt chunks (keyword + Latin-1 text) into a PNG produced by a canvas, so a
 * downloaded image remembers its prompt and seed. Chunk layout: length (4, big-endian), type (4), data,
 * CRC-32 over type + data.
 */

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IHDR_CHUNK_END = PNG_SIGNATURE.length + 4 + 4 + 13 + 4;

let crcTable: Uint32Array | undefined;

function makeCrcTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32 as PNG (and zlib) define it. */
export function crc32(bytes: Uint8Array): number {
  crcTable ??= makeCrcTable();
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** tEXt holds Latin-1; other characters become '?' (a prompt in another script stays readable in the file name). */
function latin1(text: string): number[] {
  return Array.from(text, (char) => {
    const code = char.codePointAt(0) ?? 0x3f;
    return code <= 0xff ? code : 0x3f;
  });
}

function textChunk(keyword: string, text: string): Uint8Array {
  const data = [...latin1(keyword.slice(0, 79)), 0, ...latin1(text)];
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(latin1('tEXt'), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  return chunk;
}

function isPng(png: Uint8Array): boolean {
  return PNG_SIGNATURE.every((byte, i) => png[i] === byte) && png.length > IHDR_CHUNK_END;
}

/** Returns a copy of `png` with one tEXt chunk per entry, placed right after IHDR. */
export function addPngText(png: Uint8Array, entries: Record<string, string>): Uint8Array {
  if (!isPng(png)) throw new Error('Not a PNG image.');
  const chunks = Object.entries(entries).map(([keyword, text]) => textChunk(keyword, text));
  const added = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const out = new Uint8Array(png.length + added);
  out.set(png.subarray(0, IHDR_CHUNK_END));
  let offset = IHDR_CHUNK_END;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  out.set(png.subarray(IHDR_CHUNK_END), offset);
  return out;
}

export interface PngChunk {
  type: string;
  data: Uint8Array;
  crcValid: boolean;
}

/** Splits a PNG into its chunks, checking each CRC. */
export function readPngChunks(png: Uint8Array): PngChunk[] {
  if (!isPng(png)) throw new Error('Not a PNG image.');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: PngChunk[] = [];
  for (let offset = PNG_SIGNATURE.length; offset + 12 <= png.length;) {
    const length = view.getUint32(offset);
    const typeAndData = png.subarray(offset + 4, offset + 8 + length);
    const type = String.fromCharCode(...typeAndData.subarray(0, 4));
    const crcValid = view.getUint32(offset + 8 + length) === crc32(typeAndData);
    chunks.push({ type, data: typeAndData.subarray(4), crcValid });
    offset += 12 + length;
  }
  return chunks;
}

/** The tEXt entries of a PNG, keyword to text. */
export function readPngText(png: Uint8Array): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const chunk of readPngChunks(png)) {
    if (chunk.type !== 'tEXt') continue;
    const separator = chunk.data.indexOf(0);
    const decode = (bytes: Uint8Array) => String.fromCharCode(...bytes);
    entries[decode(chunk.data.subarray(0, separator))] = decode(chunk.data.subarray(separator + 1));
  }
  return entries;
}
