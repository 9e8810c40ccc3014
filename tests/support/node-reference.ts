import { NodeTextToImage } from '../../src/node/index.js';
import type { ImageRequest } from './app-in-page.js';

/**
 * The same image from onnxruntime-node's CPU provider: the engine-independent reference that another
 * browser's pixels are compared with (as tests/node-vs-browser.browser.scale.test.ts does for Chromium).
 */
export async function nodeReferencePixels(model: string, request: ImageRequest): Promise<Uint8Array> {
  const generator = await NodeTextToImage.load({ model });
  const image = await generator.generate(request).finally(() => generator.dispose());
  return Uint8Array.from(image.pixels);
}
