/** How a saved image is named and signed: the same in the browser's downloads and in the Node entry's files. */

/** The PNG `Software` text chunk's value. */
export const SOFTWARE_NAME = 'sd-turbo-web';

/** A file-name-safe slug of a prompt: lower-case words joined by dashes, at most `maxLength` characters. */
export function slugify(text: string, maxLength = 48): string {
  const slug = text
    .normalize('NFKD')
    // NFKD splits 'ï' into 'i' and a combining diaeresis: drop the marks, keep the letter.
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/, '');
  return slug || 'image';
}

export function imageFileName(seed: number, prompt: string): string {
  return `sd-turbo_${seed}_${slugify(prompt)}.png`;
}
