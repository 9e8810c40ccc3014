// @module-tag scale
/**
 * The same pipeline on onnxruntime-node (CPU EP) and in Chromium (WebGPU on SwiftShader, and wasm): the
 * Node PNG, decoded by the browser's own PNG decoder, must match the browser's pixels within the
 * WebGPU-vs-wasm tolerance of tests/pipeline.browser.test.ts. The same check at SD-Turbo's size (the narrow
 * stand-in) is in tests/node-vs-browser-standin.browser.scale.test.ts (`npm run test:scale`).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeTextToImage } from '../src/node/index.js';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { startTestApp, type TestApp } from './support/browser.js';
import { pixelDifference } from './support/pixels.js';

let app: TestApp;
let page: Page;

const request = { prompt: 'a photo of a cat', seed: 42, steps: 2 };

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
  ({ page } = await app.openTestPage('/tests/pages/pipeline.html'));
});

afterAll(() => app?.close());

describe('Node and browser make the same image', () => {
  it('tiny-fp32: Node CPU EP vs Chromium WebGPU and wasm', async () => {
    const generator = await NodeTextToImage.load({ model: 'tiny-fp32' });
    const image = await generator.generate(request).finally(() => generator.dispose());
    expect(image.readbacks).toBe(0);

    // The browser decodes the Node PNG: an independent check of the writer.
    const decoded = await page.evaluate(async (bytes) => {
      const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d')!;
      context.drawImage(bitmap, 0, 0);
      return Array.from(context.getImageData(0, 0, bitmap.width, bitmap.height).data);
    }, Array.from(image.png));
    expect(decoded).toEqual(Array.from(image.pixels));

    for (const provider of ['webgpu', 'wasm'] as const) {
      const browserImage = await page.evaluate(
        ([r, p]) => window.pipelineTest.generate('tiny-fp32', r, { provider: p }),
        [request, provider] as const,
      );
      expect([browserImage.width, browserImage.height]).toEqual([image.width, image.height]);
      const diff = pixelDifference(image.pixels, browserImage.pixels!);
      expect(diff.max, provider).toBeLessThanOrEqual(2);
      expect(diff.differingShare, provider).toBeLessThan(0.02);
    }
  });
});
