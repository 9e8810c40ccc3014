// @module-tag scale
/**
 * Node and Chromium make the same image at SD-Turbo's size: the narrow stand-in (512x512) on
 * onnxruntime-node's CPU EP and on Chromium's wasm. The tiny model's check, with WebGPU too, is in
 * tests/node-vs-browser.browser.scale.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readPngText } from '../src/image-file/png-metadata.js';
import { NodeTextToImage } from '../src/node/index.js';
import { ensureStandinModels, STANDIN_MODELS_DIR } from '../scripts/standin-models/index.js';
import { startTestApp, type TestApp } from './support/browser.js';
import { pixelDifference } from './support/pixels.js';

let app: TestApp;

const request = { prompt: 'a photo of a cat', seed: 42, steps: 2 };

beforeAll(async () => {
  await ensureStandinModels();
  app = await startTestApp();
});

afterAll(() => app?.close());

describe('Node and browser make the same image', () => {
  it('standin-narrow-fp32 (SD-Turbo topology, 512x512): Node CPU EP vs Chromium wasm', async () => {
    const generator = await NodeTextToImage.load({
      model: 'standin-narrow-fp32',
      manifest: join(STANDIN_MODELS_DIR, 'standin-manifest.json'),
    });
    const image = await generator.generate(request).finally(() => generator.dispose());
    expect([image.width, image.height]).toEqual([512, 512]);
    expect(readPngText(image.png)).toMatchObject({ model: 'standin-narrow-fp32', seed: '42', steps: '2' });

    const { page: standinPage } = await app.openTestPage(
      `/tests/pages/pipeline.html?manifest=${encodeURIComponent('/models/standin-manifest.json')}`,
    );
    const browserImage = await standinPage.evaluate(
      (r) => window.pipelineTest.generate('standin-narrow-fp32', r, { provider: 'wasm' }),
      request,
    );
    const diff = pixelDifference(image.pixels, browserImage.pixels!);
    expect(diff.max).toBeLessThanOrEqual(2);
    expect(diff.differingShare).toBeLessThan(0.02);
  }, 300_000);
});
