/**
 * PNG text metadata: inserts text chunks into a PNG produced by a canvas, so a downloaded image remembers
 * its prompt and seed. Latin-1 text goes in tEXt, which every viewer reads; anything else (a prompt in
 * Japanese, an emoji) in iTXt, PNG's UTF-8 text chunk. Chunk layout: length (4, big-endian), type (4),
 * data, CRC-32 over type + data.
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

function isLatin1(text: string): boolean {
  return Array.from(text).every((char) => (char.codePointAt(0) ?? 0) <= 0xff);
}

/** Keywords are Latin-1 by the PNG spec, 1-79 characters; other characters become '?'. */
function latin1(text: string): number[] {
  return Array.from(text, (char) => {
    const code = char.codePointAt(0) ?? 0x3f;
    return code <= 0xff ? code : 0x3f;
  });
}

function chunk(type: 'tEXt' | 'iTXt', data: readonly number[] | Uint8Array): Uint8Array {
  const bytes = new Uint8Array(12 + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, data.length);
  bytes.set(latin1(type), 4);
  bytes.set(data, 8);
  view.setUint32(8 + data.length, crc32(bytes.subarray(4, 8 + data.length)));
  return bytes;
}

function textChunk(keyword: string, text: string): Uint8Array {
  const name = latin1(keyword.slice(0, 79));
  if (isLatin1(text)) return chunk('tEXt', [...name, 0, ...latin1(text)]);
  // keyword, 0, compression flag 0, method 0, empty language tag, 0, empty translated keyword, 0, UTF-8 text
  return chunk('iTXt', [...name, 0, 0, 0, 0, 0, ...new TextEncoder().encode(text)]);
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

const decodeLatin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);

/** The text of an uncompressed iTXt chunk's data, after its keyword's terminator. */
function iTxtText(afterKeyword: Uint8Array): string | undefined {
  const [compressed] = afterKeyword;
  if (compressed !== 0) return undefined;
  const languageEnd = afterKeyword.indexOf(0, 2);
  const translatedEnd = afterKeyword.indexOf(0, languageEnd + 1);
  return new TextDecoder().decode(afterKeyword.subarray(translatedEnd + 1));
}

/** The tEXt and (uncompressed) iTXt entries of a PNG, keyword to text. */
export function readPngText(png: Uint8Array): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const { type, data } of readPngChunks(png)) {
    if (type !== 'tEXt' && type !== 'iTXt') continue;
    const separator = data.indexOf(0);
    const rest = data.subarray(separator + 1);
    const text = type === 'tEXt' ? decodeLatin1(rest) : iTxtText(rest);
    if (text !== undefined) entries[decodeLatin1(data.subarray(0, separator))] = text;
  }
  return entries;
}
