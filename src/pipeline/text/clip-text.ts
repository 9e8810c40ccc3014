/**
 * The text cleaning CLIP does before its normalizer, and the bookkeeping that maps token bytes back to
 * positions in the user's prompt.
 *
 * CLIP's basic_clean is ftfy.fix_text followed by html.unescape applied twice. ftfy (mojibake repair)
 * is not reproduced: prompts typed into a browser are already proper Unicode. Unescaping covers
 * numeric references and the named entities below, semicolon-terminated; Python also knows the
 * other ~2,000 HTML5 names and semicolon-less legacy forms such as "&amp", which stay literal here.
 */

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  AMP: '&',
  lt: '<',
  LT: '<',
  gt: '>',
  GT: '>',
  quot: '"',
  QUOT: '"',
  apos: "'",
  nbsp: '\u00a0',
  copy: '\u00a9',
  reg: '\u00ae',
  trade: '\u2122',
  deg: '\u00b0',
  times: '\u00d7',
  hellip: '\u2026',
  ndash: '\u2013',
  mdash: '\u2014',
  lsquo: '\u2018',
  rsquo: '\u2019',
  ldquo: '\u201c',
  rdquo: '\u201d',
};

/**
 * One reference, optionally behind an escaped ampersand: "&amp;lt;" is what the second unescaping pass
 * turns into "<", so it is matched as one unit.
 */
const ENTITY_SOURCE = '&(?:amp;)?(?:[a-z][a-z0-9]*|#[0-9]+|#x[0-9a-f]+);';

function decodeReference(reference: string): string {
  const body = reference.slice(1, -1);
  if (body[0] !== '#') return NAMED_ENTITIES[body] ?? reference;
  const isHex = body[1] === 'x' || body[1] === 'X';
  const codePoint = Number.parseInt(body.slice(isHex ? 2 : 1), isHex ? 16 : 10);
  // As html.unescape: NUL, surrogates and values beyond Unicode become U+FFFD. Its cp1252 reading of
  // &#128;..&#159; and its dropping of control-character references are not reproduced.
  const isInvalid = codePoint === 0 || (codePoint >= 0xd800 && codePoint <= 0xdfff) || codePoint > 0x10ffff;
  return isInvalid ? '\ufffd' : String.fromCodePoint(codePoint);
}

function unescapeOnce(text: string): string {
  return text.replace(/&(?:[a-z][a-z0-9]*|#[0-9]+|#x[0-9a-f]+);/gi, decodeReference);
}

/** html.unescape(html.unescape(text)) for the references listed above. */
export function unescapeHtml(text: string): string {
  return text.replace(new RegExp(ENTITY_SOURCE, 'gi'), (unit) => unescapeOnce(unescapeOnce(unit)));
}

export interface PromptUnit {
  /** Index in the prompt just past this unit. */
  end: number;
  /** UTF-8 bytes this unit contributes to the token sequence once cleaned and normalized. */
  tokenBytes: number;
}

/**
 * The prompt cut into pieces that cleaning and normalization never merge or split: an HTML reference,
 * or a code point with its combining marks (NFC composes within such a piece). Decomposed Hangul jamo
 * are the known exception; they only blur where `droppedText` starts.
 */
export function promptUnits(prompt: string): PromptUnit[] {
  const encoder = new TextEncoder();
  const unitPattern = new RegExp(`${ENTITY_SOURCE}|[\\s\\S]\\p{M}*`, 'giu');
  return Array.from(prompt.matchAll(unitPattern), (match) => {
    // Whitespace separates words and never becomes a token.
    const normalized = unescapeHtml(match[0]).normalize('NFC').toLowerCase().replace(/\s/gu, '');
    return { end: match.index + match[0].length, tokenBytes: encoder.encode(normalized).length };
  });
}
