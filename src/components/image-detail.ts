/** Turns the worker's ImageResult into the `sd-image` detail, with a PNG encoded only when asked for. */
import type { ImageResult } from '../pipeline/index.js';
import type { SdImageDetail } from './events.js';
import { addPngText, imageFileName, imageMetadata } from '../image-file/index.js';

/** Draws the bitmap into a canvas and lets the browser encode it; the one read-back happens here. */
async function encodePng(bitmap: ImageBitmap, text: Record<string, string>): Promise<Blob> {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser cannot draw into an OffscreenCanvas.');
  context.drawImage(bitmap, 0, 0);
  const png = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
  return new Blob([addPngText(png, text) as Uint8Array<ArrayBuffer>], { type: 'image/png' });
}

export function toImageDetail(result: ImageResult, batch?: SdImageDetail['batch']): SdImageDetail {
  let png: Promise<Blob> | undefined;
  const metadata = imageMetadata(result);
  return {
    bitmap: result.bitmap,
    toBlob: () => (png ??= encodePng(result.bitmap, metadata)),
    fileName: imageFileName(result.seed, result.prompt, result),
    seed: result.seed,
    prompt: result.prompt,
    steps: result.steps,
    ...(result.strength === undefined ? {} : { strength: result.strength }),
    ...(batch ? { batch } : {}),
    truncated: result.truncated,
    width: result.width,
    height: result.height,
    provider: result.provider,
    modelId: result.modelId,
    timings: result.timings,
  };
}

/** Shows a bitmap in a 2d canvas: a GPU copy, no CPU pixel access. */
export function drawBitmap(canvas: HTMLCanvasElement, bitmap: ImageBitmap): void {
  if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
  }
  canvas.getContext('2d')?.drawImage(bitmap, 0, 0);
}
