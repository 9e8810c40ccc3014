import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipVocabulary, loadMergeFileText, parseMerges } from '../src/pipeline/text/clip-vocabulary.js';
import { encodePrompt, preloadTokenizer, tokenizePrompt } from '../src/pipeline/text/tokenizer.js';

const MERGE_FILE = new URL('../data/clip/bpe_simple_vocab_16e6.txt.gz', import.meta.url);
const START = 49406;
const END = 49407;

/**
 * A deliberately naive re-implementation of OpenAI's SimpleTokenizer (clip/simple_tokenizer.py), sharing
 * no code with src/: its own byte table, its own vocabulary order, and BPE that rescans for the
 * lowest-ranked pair and merges all its occurrences, as the Python does.
 */
function buildReferenceTokenizer(): (text: string) => number[] {
  const mergeLines = gunzipSync(readFileSync(MERGE_FILE))
    .toString('utf8')
    .split('\n')
    .slice(1, 49152 - 256 - 2 + 1);
  const printable = [
    ...Array.from({ length: 126 - 33 + 1 }, (_, i) => 33 + i),
    ...Array.from({ length: 172 - 161 + 1 }, (_, i) => 161 + i),
    ...Array.from({ length: 255 - 174 + 1 }, (_, i) => 174 + i),
  ];
  const byteChar = new Map<number, string>();
  const order: string[] = [];
  printable.forEach((b) => {
    byteChar.set(b, String.fromCharCode(b));
    order.push(String.fromCharCode(b));
  });
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (byteChar.has(b)) continue;
    byteChar.set(b, String.fromCharCode(256 + extra++));
    order.push(byteChar.get(b) as string);
  }
  const vocab = [...order, ...order.map((c) => c + '</w>'), ...mergeLines.map((l) => l.replace(' ', ''))];
  vocab.push('<|startoftext|>', '<|endoftext|>');
  const ids = new Map(vocab.map((token, id) => [token, id]));
  const ranks = new Map(mergeLines.map((line, rank) => [line, rank]));

  const bpe = (word: string): string[] => {
    if (word === '<|startoftext|>' || word === '<|endoftext|>') return [word]; // the Python seeds its cache so
    let parts = Array.from(word);
    parts[parts.length - 1] += '</w>';
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const rank = ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (rank !== undefined && rank < bestRank) [best, bestRank] = [i, rank];
      }
      if (best < 0) return parts;
      const [a, b] = [parts[best], parts[best + 1]];
      const merged: string[] = [];
      for (let i = 0; i < parts.length;) {
        if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) {
          merged.push(a + b);
          i += 2;
        } else merged.push(parts[i++]);
      }
      parts = merged;
    }
  };
  const pattern =
    /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/gu;
  return (text) => {
    const cleaned = text.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
    return Array.from(cleaned.matchAll(pattern), ([word]) => {
      const chars = Array.from(new TextEncoder().encode(word), (b) => byteChar.get(b) as string).join('');
      return bpe(chars).map((token) => ids.get(token) as number);
    }).flat();
  };
}

const referenceContentIds = buildReferenceTokenizer();

function expectedIds(content: number[], length = 77, padId = 0): number[] {
  const kept = content.slice(0, length - 2);
  return [START, ...kept, END, ...Array<number>(length - kept.length - 2).fill(padId)];
}

beforeAll(() => preloadTokenizer());

describe('vocabulary built from the merge list', () => {
  const vocabulary = clipVocabulary(parseMerges(gunzipSync(readFileSync(MERGE_FILE)).toString()));

  it('has 49,408 unique tokens in CLIP order', () => {
    expect(vocabulary).toHaveLength(49408);
    expect(new Set(vocabulary).size).toBe(49408);
    expect(vocabulary[0]).toBe('!'); // byte 0x21, the first printable byte; also SD 2.x's pad token
    expect(vocabulary[320]).toBe('a</w>'); // 256 + ('a' = 0x61) - 0x21
    expect(vocabulary[255]).toBe('\u0143'); // 0xAD, the last byte without a printable form
    expect(vocabulary[49405]).toBe('jekyll</w>'); // the last merge, "jeky ll</w>"
    expect(vocabulary.slice(49406)).toEqual(['<|startoftext|>', '<|endoftext|>']);
  });

  it('places each word at 512 + the rank of the merge that forms it', () => {
    expect(vocabulary.indexOf('photo</w>')).toBe(1125);
    expect(vocabulary.indexOf('of</w>')).toBe(539);
    expect(vocabulary.indexOf('cat</w>')).toBe(2368);
  });

  it('rejects a truncated merge list', () => {
    expect(() => parseMerges('#version: 0.2\ni n\nt h')).toThrow(
      'CLIP merge list has 2 merges, expected 48894',
    );
  });
});

describe('encodePrompt', () => {
  it('encodes the known case "a photo of a cat"', async () => {
    expect(Array.from(await encodePrompt('a photo of a cat'))).toEqual(
      expectedIds([320, 1125, 539, 320, 2368]),
    );
  });

  it('returns 77 int32 ids padded with 0 by default', async () => {
    const ids = await encodePrompt('a cat');
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids).toHaveLength(77);
    expect(Array.from(ids.slice(0, 4))).toEqual([START, 320, 2368, END]);
    expect(Array.from(ids.slice(4))).toEqual(Array<number>(73).fill(0));
  });

  it('encodes the empty prompt as start, end, padding', async () => {
    expect(Array.from(await encodePrompt(''))).toEqual(expectedIds([]));
    expect(Array.from(await encodePrompt(' \n\t '))).toEqual(expectedIds([]));
  });

  it('honours maxLength and padId (SD 1.x pads with the end token)', async () => {
    expect(Array.from(await encodePrompt('a photo of a cat', { maxLength: 10, padId: END }))).toEqual([
      START,
      320,
      1125,
      539,
      320,
      2368,
      END,
      END,
      END,
      END,
    ]);
    expect(Array.from(await encodePrompt('a photo of a cat', { maxLength: 4 }))).toEqual([
      START,
      320,
      1125,
      END,
    ]);
  });

  it.each([
    'hello, world!!',
    'café ☕ 東京',
    "it's a dog's life, isn't it? we'll see; they'd've...",
    'photo 2024, 4k, 8K UHD, f/1.8 — ISO-100',
    'Ünïcödé: naïve façade, Ελληνικά ΟΔΟΣ, русский, عربى, हिन्दी, 🐱‍👤👍🏽',
    'supercalifragilisticexpialidocious antidisestablishmentarianism',
    'e\u0301 (decomposed) and é (composed)',
    'tabs\tand\nnewlines\r\nand\u00a0nbsp',
    'a <|endoftext|> inside',
  ])('matches the reference tokenizer for %j', async (prompt) => {
    expect(Array.from(await encodePrompt(prompt))).toEqual(expectedIds(referenceContentIds(prompt)));
  });

  it('splits punctuation from words as CLIP does', async () => {
    // hello</w> 3306, ",</w>" 267, world</w> 1002, "!!</w>" 748
    expect(Array.from((await encodePrompt('hello, world!!')).slice(0, 6))).toEqual([
      START,
      3306,
      267,
      1002,
      748,
      END,
    ]);
  });

  it('normalizes case and whitespace', async () => {
    const plain = Array.from(await encodePrompt('a photo of a cat'));
    expect(Array.from(await encodePrompt('  A   PHOTO\tof a\n\nCat  '))).toEqual(plain);
  });

  it('unescapes HTML entities, twice, as CLIP does', async () => {
    const same = async (escaped: string, plain: string) =>
      expect(Array.from(await encodePrompt(escaped))).toEqual(Array.from(await encodePrompt(plain)));
    await same('fish &amp; chips', 'fish & chips');
    await same('&lt;3 &quot;love&quot;', '<3 "love"');
    await same('&amp;lt;3', '<3');
    await same('coffee &#9749; &#x2615;', 'coffee ☕ ☕');
    await same('a&nbsp;cat', 'a cat');
    expect(Array.from(await encodePrompt('&bogus;'))).toEqual(expectedIds(referenceContentIds('&bogus;')));
    expect(Array.from(await encodePrompt('fish & chips'))).not.toEqual(
      expectedIds(referenceContentIds('fish &amp; chips')),
    );
  });
});

describe('tokenizePrompt', () => {
  it('reports the token count of a prompt that fits', async () => {
    const result = await tokenizePrompt('a photo of a cat');
    expect(result).toMatchObject({
      tokenCount: 5,
      maxTokens: 75,
      truncated: false,
      keptText: 'a photo of a cat',
      droppedText: '',
    });
  });

  it('truncates a 100-word prompt to 75 content tokens and says what was cut', async () => {
    const prompt = Array<string>(100).fill('cat').join(' ');
    const result = await tokenizePrompt(prompt);
    expect(Array.from(result.ids)).toEqual([START, ...Array<number>(75).fill(2368), END]);
    expect(result.tokenCount).toBe(100);
    expect(result.truncated).toBe(true);
    expect(result.keptText).toBe(Array<string>(75).fill('cat').join(' '));
    expect(result.droppedText).toBe(' cat'.repeat(25));
  });

  it('cuts inside a word at the character where its kept tokens end', async () => {
    // "cafés" is two tokens, "caf" and "és</w>": with 74 words before it only "caf" fits.
    expect(referenceContentIds('cafés')).toHaveLength(2);
    const prompt = `${'Cat '.repeat(74)}CAFÉS au lait`;
    const result = await tokenizePrompt(prompt);
    expect(result.tokenCount).toBe(74 + 2 + referenceContentIds('au lait').length);
    expect(Array.from(result.ids.slice(74, 77))).toEqual([2368, referenceContentIds('cafés')[0], END]);
    expect(result.keptText).toBe(`${'Cat '.repeat(74)}CAF`);
    expect(result.droppedText).toBe('ÉS au lait');
  });

  it('drops a character whose UTF-8 bytes are split between kept and dropped tokens', async () => {
    // 𝕏 (4 bytes) has no merges that cover it whole, so its byte tokens can straddle the limit.
    const pieces = referenceContentIds('𝕏');
    expect(pieces.length).toBeGreaterThan(1);
    const result = await tokenizePrompt(`${'cat '.repeat(74)}𝕏`);
    expect(result.truncated).toBe(true);
    expect(result.keptText).toBe('cat '.repeat(74).trimEnd());
    expect(result.droppedText).toBe(' 𝕏');
  });

  it('maps HTML entities back to the prompt when truncating', async () => {
    const prompt = `${'cat '.repeat(74)}&amp; dogs`;
    const result = await tokenizePrompt(prompt);
    expect(result.keptText).toBe(`${'cat '.repeat(74)}&amp;`);
    expect(result.droppedText).toBe(' dogs');
  });

  it('keeps text whose encoding is exactly the kept ids', async () => {
    const prompt =
      'A majestic lion, photographed at golden hour on the Serengeti; ultra-detailed, 8k, bokeh, ' +
      'National Geographic style, trending on ArtStation, by Annie Leibovitz and Steve McCurry, ' +
      'cinematic lighting, volumetric fog, hyperrealistic fur, sharp focus, award-winning composition, ' +
      'dramatic clouds, warm palette, wide-angle lens, f/2.8, ISO 100, shot on Hasselblad X2D.';
    const result = await tokenizePrompt(prompt);
    expect(result.truncated).toBe(true);
    expect(result.keptText + result.droppedText).toBe(prompt);
    expect(result.droppedText.length).toBeGreaterThan(0);
    expect(Array.from(result.ids)).toEqual(expectedIds(referenceContentIds(prompt)));
    const kept = await tokenizePrompt(result.keptText);
    expect(kept.truncated).toBe(false);
    expect(Array.from(kept.ids)).toEqual(Array.from(result.ids));
  });

  it('rejects a prompt that is not a string', async () => {
    await expect(tokenizePrompt(42 as unknown as string)).rejects.toThrow(
      new TypeError('prompt must be a string, got number'),
    );
    await expect(encodePrompt(null as unknown as string)).rejects.toThrow(
      new TypeError('prompt must be a string, got null'),
    );
  });

  it('rejects options that cannot form a sequence', async () => {
    await expect(encodePrompt('cat', { maxLength: 1 })).rejects.toThrow(
      new RangeError('maxLength must be an integer >= 2 (room for start and end tokens), got 1'),
    );
    await expect(encodePrompt('cat', { padId: 49408 })).rejects.toThrow(
      new RangeError('padId must be a token id from 0 to 49407, got 49408'),
    );
  });
});

describe('loading the merge file', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'clip-merges-'));
  });
  afterAll(() => rm(directory, { recursive: true }));

  it('gunzips a gzip file', async () => {
    const path = join(directory, 'merges.txt.gz');
    await writeFile(path, gzipSync('#version: 0.2\nh e\n'));
    expect(await loadMergeFileText(pathToFileURL(path))).toBe('#version: 0.2\nh e\n');
  });

  it('accepts text a server already decompressed', async () => {
    const path = join(directory, 'merges.txt');
    await writeFile(path, '#version: 0.2\nh e\n');
    expect(await loadMergeFileText(pathToFileURL(path))).toBe('#version: 0.2\nh e\n');
  });
});
