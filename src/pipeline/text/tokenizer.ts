/**
 * CLIP prompt tokenization for the text encoder: BPE by @huggingface/tokenizers, plus what that library
 * does not do — HTML unescaping, truncation to the context, start/end tokens and padding.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { promptUnits, unescapeHtml } from './clip-text.js';
import {
  END_OF_TEXT,
  END_OF_TEXT_ID,
  END_OF_WORD_SUFFIX,
  START_OF_TEXT,
  START_OF_TEXT_ID,
  clipTokenizerJson,
  loadMergeFileText,
} from './clip-vocabulary.js';

export { END_OF_TEXT_ID, START_OF_TEXT_ID };

/** CLIP's context length: start token, 75 content tokens, end token. */
export const CLIP_CONTEXT_LENGTH = 77;
/** SD 2.x text encoders (SD-Turbo's among them) pad with id 0 ("!"); SD 1.x pads with END_OF_TEXT_ID. */
export const SD2_PAD_ID = 0;

const VOCABULARY_SIZE = 49408;

export interface PromptEncodingOptions {
  /** Length of the id sequence, start and end tokens included. Default 77. */
  maxLength?: number;
  /** Id that fills the sequence after the end token. Default 0, as SD-Turbo was trained. */
  padId?: number;
}

export interface TokenizedPrompt {
  /** Exactly `maxLength` ids: start, up to `maxTokens` content ids, end, padding. */
  ids: Int32Array<ArrayBuffer>;
  /** Content tokens the whole prompt needs, before truncation. */
  tokenCount: number;
  /** Content tokens that fit: `maxLength - 2`, 75 by default. */
  maxTokens: number;
  truncated: boolean;
  /**
   * The prompt up to the last character fully represented in the kept tokens; `keptText + droppedText`
   * is the prompt. A character whose tokens are only partly kept belongs to `droppedText`.
   */
  keptText: string;
  droppedText: string;
}

let tokenizerLoad: Promise<Tokenizer> | undefined;

/**
 * Loads the vocabulary and builds the tokenizer once per process or worker. Calling it early (while the
 * models download) takes the ~1.3 MB fetch and the BPE table off the first prompt's latency.
 */
export async function preloadTokenizer(): Promise<void> {
  await clipTokenizer();
}

function clipTokenizer(): Promise<Tokenizer> {
  tokenizerLoad ??= loadMergeFileText()
    .then((mergeFileText) => new Tokenizer(clipTokenizerJson(mergeFileText), {}))
    .catch((error: unknown) => {
      tokenizerLoad = undefined; // let a later call retry, e.g. after a network error
      throw error;
    });
  return tokenizerLoad;
}

export async function tokenizePrompt(
  prompt: string,
  options: PromptEncodingOptions = {},
): Promise<TokenizedPrompt> {
  if (typeof prompt !== 'string') {
    throw new TypeError(`prompt must be a string, got ${prompt === null ? 'null' : typeof prompt}`);
  }
  const { maxLength, padId } = validatedOptions(options);
  const tokenizer = await clipTokenizer();
  const { ids: contentIds, tokens } = tokenizer.encode(unescapeHtml(prompt), { add_special_tokens: false });

  const maxTokens = maxLength - 2;
  const keptCount = Math.min(contentIds.length, maxTokens);
  const ids = new Int32Array(maxLength).fill(padId);
  ids[0] = START_OF_TEXT_ID;
  ids.set(contentIds.slice(0, keptCount), 1);
  ids[keptCount + 1] = END_OF_TEXT_ID;

  const truncated = contentIds.length > maxTokens;
  const splitIndex = truncated ? keptPromptLength(prompt, tokens.slice(0, keptCount)) : prompt.length;
  return {
    ids,
    tokenCount: contentIds.length,
    maxTokens,
    truncated,
    keptText: prompt.slice(0, splitIndex),
    droppedText: prompt.slice(splitIndex),
  };
}

/** The `maxLength` input_ids for the text encoder. */
export async function encodePrompt(
  prompt: string,
  options: PromptEncodingOptions = {},
): Promise<Int32Array<ArrayBuffer>> {
  return (await tokenizePrompt(prompt, options)).ids;
}

function validatedOptions(options: PromptEncodingOptions): Required<PromptEncodingOptions> {
  const { maxLength = CLIP_CONTEXT_LENGTH, padId = SD2_PAD_ID } = options;
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new RangeError(
      `maxLength must be an integer >= 2 (room for start and end tokens), got ${maxLength}`,
    );
  }
  if (!Number.isInteger(padId) || padId < 0 || padId >= VOCABULARY_SIZE) {
    throw new RangeError(`padId must be a token id from 0 to ${VOCABULARY_SIZE - 1}, got ${padId}`);
  }
  return { maxLength, padId };
}

/**
 * The library reports no offsets, so the cut is found by bytes: every byte-level token stands for a
 * known number of UTF-8 bytes of the normalized prompt, and each prompt unit for a known number of them.
 */
function keptPromptLength(prompt: string, keptTokens: readonly string[]): number {
  let keptBytes = keptTokens.reduce((sum, token) => sum + tokenByteCount(token), 0);
  let splitIndex = 0;
  for (const unit of promptUnits(prompt)) {
    if (unit.tokenBytes === 0) continue; // whitespace stays with the dropped part
    keptBytes -= unit.tokenBytes;
    if (keptBytes < 0) break;
    splitIndex = unit.end;
  }
  return splitIndex;
}

function tokenByteCount(token: string): number {
  if (token === START_OF_TEXT || token === END_OF_TEXT) return token.length;
  const symbols = token.endsWith(END_OF_WORD_SUFFIX) ? token.slice(0, -END_OF_WORD_SUFFIX.length) : token;
  // Each byte-level symbol is one byte; all of them are single UTF-16 units (U+0021..U+0143).
  return symbols.length;
}
