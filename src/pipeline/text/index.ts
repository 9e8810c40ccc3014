/** The text side's face: CLIP's tokenizer, from the prompt to token ids. */
export {
  encodePrompt,
  preloadTokenizer,
  tokenizePrompt,
  type PromptEncodingOptions,
  type TokenizedPrompt,
} from './tokenizer.js';
