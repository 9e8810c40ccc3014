/** How a saved image is named and signed: the same in the browser's downloads and in the Node entry's files. */

/** The PNG `Software` text chunk's value. */
export const SOFTWARE_NAME = 'sd-turbo-web';

/**
 * A file-name-safe slug of a prompt: lower-case words joined by dashes, at most `maxLength` characters
 * (code points, so no character is cut in half). Accents come off Latin letters ('naïve' -> 'naive'); other
 * scripts keep their marks, which can make another word (ご is not こ, and हिंदी needs its vowel signs).
 */
export function slugify(text: string, maxLength = 48): string {
  const words = text
    .normalize('NFKD')
    .replace(/(\p{Script=Latin})\p{M}+/gu, '$1')
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  const slug = Array.from(words).slice(0, maxLength).join('').replace(/-+$/, '');
  return slug || 'image';
}

/** The image's size as its file name and metadata write it: `512x768` (width first). */
export function sizeText(size: { width: number; height: number }): string {
  return `${size.width}x${size.height}`;
}

/** `sd-turbo_<seed>_<prompt-slug>_<width>x<height>.png`: images of one prompt and seed at two sizes differ. */
export function imageFileName(seed: number, prompt: string, size: { width: number; height: number }): string {
  return `sd-turbo_${seed}_${slugify(prompt)}_${sizeText(size)}.png`;
}

/** How an image was made: what "make it again" needs. */
export interface ImageSettings {
  prompt: string;
  seed: number;
  steps: number;
  modelId: string;
  width: number;
  height: number;
}

/** An image's settings as its PNG's text chunks, and who made it. */
export function imageMetadata(image: ImageSettings): Record<string, string> {
  return {
    prompt: image.prompt,
    seed: String(image.seed),
    steps: String(image.steps),
    model: image.modelId,
    size: sizeText(image),
    Software: SOFTWARE_NAME,
  };
}
