import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { addPngText, crc32, readPngChunks, readPngText } from '../src/image-file/png-metadata.js';
import { imageFileName, imageMetadata, slugify } from '../src/image-file/file-name.js';

/** A real 2x1 RGBA PNG built by hand (IHDR, IDAT, IEND), independent of the code under test's writer. */
function tinyPng(): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(2, 0);
  header.writeUInt32BE(1, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const rows = Buffer.from([0, 255, 0, 0, 255, 0, 0, 255, 255]);
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', header),
      chunk('IDAT', deflateSync(rows)),
      chunk('IEND', new Uint8Array()),
    ]),
  );
}

describe('PNG text metadata', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
  });

  it('inserts tEXt chunks after IHDR with valid CRCs and reads them back', () => {
    const original = tinyPng();
    const tagged = addPngText(original, {
      prompt: 'a café at dawn',
      seed: '4294967295',
      Software: 'sd-turbo-web',
    });
    const chunks = readPngChunks(tagged);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'tEXt', 'tEXt', 'tEXt', 'IDAT', 'IEND']);
    expect(chunks.every((c) => c.crcValid)).toBe(true);
    expect(readPngText(tagged)).toEqual({
      prompt: 'a café at dawn',
      seed: '4294967295',
      Software: 'sd-turbo-web',
    });
    // The image chunks are carried over byte for byte.
    const idat = (png: Uint8Array) => readPngChunks(png).find((c) => c.type === 'IDAT')!.data;
    expect(idat(tagged)).toEqual(idat(original));
  });

  it('stores text outside Latin-1 in iTXt as UTF-8, and detects a damaged chunk', () => {
    const tagged = addPngText(tinyPng(), { prompt: '日本の桜 🌸', seed: '7' });
    const chunks = readPngChunks(tagged);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'iTXt', 'tEXt', 'IDAT', 'IEND']);
    // keyword, NUL, compression flag and method, empty language tag and translated keyword, UTF-8 text.
    const expected = [...Buffer.from('prompt\0\0\0\0\0', 'latin1'), ...Buffer.from('日本の桜 🌸', 'utf8')];
    expect([...chunks[1].data]).toEqual(expected);
    expect(readPngText(tagged)).toEqual({ prompt: '日本の桜 🌸', seed: '7' });
    const damaged = tagged.slice();
    damaged[8 + 25 + 10] ^= 1;
    expect(readPngChunks(damaged)[1].crcValid).toBe(false);
  });

  it('refuses bytes that are not a PNG', () => {
    expect(() => addPngText(new Uint8Array(64), { a: 'b' })).toThrow('Not a PNG');
  });
});

describe('file-name slug of a prompt', () => {
  it('transliterates accents, keeps other scripts, and drops symbols', () => {
    expect(slugify('A naïve Café, at dawn!')).toBe('a-naive-cafe-at-dawn');
    expect(slugify('日本の桜 🌸')).toBe('日本の桜');
    expect(slugify('🌸🌸')).toBe('image');
    expect(slugify('x'.repeat(60) + ' y')).toBe('x'.repeat(48));
  });

  it('keeps the marks that make another word outside Latin script, in composed (NFC) form', () => {
    // ご (U+3054) is not こ (U+3053): the dakuten is part of the word.
    expect(slugify('ごはん')).toBe('ごはん');
    expect(slugify('ごはん')).toBe('\u3054\u306f\u3093');
    // Given decomposed (こ + combining dakuten), it comes out composed.
    expect(slugify('\u3053\u3099\u306f\u3093')).toBe('\u3054\u306f\u3093');
    expect(slugify('パン')).toBe('パン');
    expect(slugify('हिंदी कविता')).toBe('हिंदी-कविता');
    expect(slugify('Ελληνικά café')).toBe('ελληνικά-cafe');
  });

  it('cuts a long prompt between characters, never inside one', () => {
    expect(slugify('𠮷'.repeat(60))).toBe('𠮷'.repeat(48));
  });
});

describe('an image as a file', () => {
  it('names the file and signs the PNG with the seed, the prompt and the size', () => {
    const image = { prompt: 'A tall tower', seed: 9, steps: 2, modelId: 'tiny-fp32', width: 64, height: 128 };
    expect(imageFileName(image.seed, image.prompt, image)).toBe('sd-turbo_9_a-tall-tower_64x128.png');
    expect(imageMetadata(image)).toEqual({
      prompt: 'A tall tower',
      seed: '9',
      steps: '2',
      model: 'tiny-fp32',
      size: '64x128',
      Software: 'sd-turbo-web',
    });
  });
});
