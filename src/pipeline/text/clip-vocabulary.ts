/**
 * Builds the CLIP tokenizer.json (the structure Hugging Face's CLIPTokenizerFast uses) from OpenAI's merge
 * list at load time, so the repository carries the 1.3 MB gzip file and its licence instead of a 3 MB
 * generated JSON. Format facts: data/clip/README.md.
 */

export const START_OF_TEXT = '<|startoftext|>';
export const END_OF_TEXT = '<|endoftext|>';
export const START_OF_TEXT_ID = 49406;
export const END_OF_TEXT_ID = 49407;
export const END_OF_WORD_SUFFIX = '</w>';

/** Line 0 of the merge file is a version header; lines 1..48894 are the merges CLIP uses. */
const MERGE_COUNT = 49152 - 256 - 2;

/** CLIP's word pattern, with its two special tokens first as in the HF tokenizer.json. */
const CLIP_WORD_PATTERN =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/**
 * GPT-2's byte-to-character table in CLIP's vocabulary order: the printable Latin-1 bytes map to
 * themselves and come first, the other 68 bytes map to U+0100.. in byte order and come after.
 * `characters[i]` is vocabulary entry i; `byteOf` inverts it.
 */
export function byteLevelAlphabet(): { characters: string[]; byteOf: Map<string, number> } {
  const isPrintable = (byte: number) =>
    (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
  const bytes: number[] = [];
  const codePoints: number[] = [];
  for (let byte = 0; byte < 256; byte++) {
    if (isPrintable(byte)) {
      bytes.push(byte);
      codePoints.push(byte);
    }
  }
  let nextSubstitute = 256;
  for (let byte = 0; byte < 256; byte++) {
    if (!isPrintable(byte)) {
      bytes.push(byte);
      codePoints.push(nextSubstitute++);
    }
  }
  const characters = codePoints.map((codePoint) => String.fromCodePoint(codePoint));
  return { characters, byteOf: new Map(characters.map((character, i) => [character, bytes[i]])) };
}

/** The merges, in rank order, as [left, right] pairs. */
export function parseMerges(mergeFileText: string): [string, string][] {
  const lines = mergeFileText.split('\n').slice(1, MERGE_COUNT + 1);
  if (lines.length !== MERGE_COUNT) {
    throw new Error(`CLIP merge list has ${lines.length} merges, expected ${MERGE_COUNT}`);
  }
  return lines.map((line, rank) => {
    const pair = line.split(' ');
    if (pair.length !== 2) throw new Error(`CLIP merge ${rank + 1} is malformed: ${JSON.stringify(line)}`);
    return [pair[0], pair[1]];
  });
}

/** Vocabulary order: bytes, bytes + "</w>", joined merges, then the two special tokens. */
export function clipVocabulary(merges: readonly [string, string][]): string[] {
  const { characters } = byteLevelAlphabet();
  return [
    ...characters,
    ...characters.map((character) => character + END_OF_WORD_SUFFIX),
    ...merges.map(([left, right]) => left + right),
    START_OF_TEXT,
    END_OF_TEXT,
  ];
}

/**
 * The tokenizer.json object for @huggingface/tokenizers. Differences from the HF file, both deliberate:
 * no post-processor (the caller adds start/end tokens after truncating, which the library cannot do),
 * and ByteLevel without its GPT-2 regex (it would not split CLIP's words any further; skipping it
 * states that CLIP's pattern alone decides the words).
 */
export function clipTokenizerJson(mergeFileText: string): Record<string, unknown> {
  const merges = parseMerges(mergeFileText);
  const vocabulary = clipVocabulary(merges);
  if (vocabulary.indexOf(START_OF_TEXT) !== START_OF_TEXT_ID) {
    throw new Error(`CLIP vocabulary puts ${START_OF_TEXT} at ${vocabulary.indexOf(START_OF_TEXT)}`);
  }
  const specialToken = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [specialToken(START_OF_TEXT_ID, START_OF_TEXT), specialToken(END_OF_TEXT_ID, END_OF_TEXT)],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_WORD_PATTERN }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: END_OF_TEXT,
      continuing_subword_prefix: '',
      end_of_word_suffix: END_OF_WORD_SUFFIX,
      fuse_unk: false,
      byte_fallback: false,
      // fromEntries defines own properties, so a token such as "__proto__" cannot reach the prototype.
      vocab: Object.fromEntries(vocabulary.map((token, id) => [token, id])),
      merges,
    },
  };
}

const MERGE_FILE_URL = new URL('../../../data/clip/bpe_simple_vocab_16e6.txt.gz', import.meta.url);

/** A variable, so that bundlers leave Node's fs out of browser builds. */
const NODE_FS_MODULE = 'node:fs/promises';

/**
 * The merge file's text. Vite rewrites the URL above into a hashed asset for browsers and workers; under
 * Node (vitest, scripts) it stays a file: URL, which fetch cannot read.
 */
export async function loadMergeFileText(url: URL = MERGE_FILE_URL): Promise<string> {
  return gunzipText(await readBytes(url));
}

async function readBytes(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  if (url.protocol === 'file:') {
    const fs = (await import(/* @vite-ignore */ NODE_FS_MODULE)) as typeof import('node:fs/promises');
    return new Uint8Array(await fs.readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`Could not load the CLIP vocabulary from ${url.href}: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

async function gunzipText(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const isGzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  // A server that labels .gz files "Content-Encoding: gzip" makes fetch hand over the plain text.
  if (!isGzip) return new TextDecoder().decode(bytes);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}
