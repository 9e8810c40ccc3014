// @module-tag scale
/**
 * The narrow stand-in models have SD-Turbo's topology at full spatial size (77 tokens, 64x64 latents,
 * attention over 4096 positions, 512x512 pixels): the whole pipeline makes a real-size image with them
 * on WebGPU (SwiftShader) and on wasm, in FP32 and FP16, with the GPU-resident guarantees intact.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStandinModels } from '../scripts/standin-models/index.js';
import { startTestApp, type TestApp } from './support/browser.js';
import { pixelDifference } from './support/pixels.js';

type PipelineTest = Window['pipelineTest'];
type GenerateOutput = Awaited<ReturnType<PipelineTest['generate']>>;
type LoadOptions = Parameters<PipelineTest['generate']>[2];

const MANIFEST_URL = '/models/standin-manifest.json';
const IMAGE_SIZE = 512;
const request = { prompt: 'a photo of a cat', seed: 42, steps: 1 };
/**
 * Two images on SwiftShader. ORT's tiled kernels (Conv, Gemm, Transpose, large MatMul) cost about a
 * millisecond per workgroup there whatever the channel count, so the 512x512 convs and the 4096-token
 * attentions take 75 s an image on this 2-core machine, and up to 190 s when other jobs share it.
 */
const WEBGPU_TEST_TIMEOUT_MS = 600_000;
const WASM_TEST_TIMEOUT_MS = 120_000;

let app: TestApp;
let page: Page;
let logs: string[];

beforeAll(async () => {
  await ensureStandinModels();
  app = await startTestApp();
  ({ page, logs } = await app.openTestPage(
    `/tests/pages/pipeline.html?manifest=${encodeURIComponent(MANIFEST_URL)}`,
  ));
});

afterAll(() => app?.close());

async function generate(modelId: string, options?: LoadOptions): Promise<GenerateOutput> {
  const started = performance.now();
  const result = (await page.evaluate(([id, r, o]) => window.pipelineTest.generate(id, r, o), [
    modelId,
    request,
    options,
  ] as const)) as GenerateOutput;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `${modelId} on ${options?.provider ?? 'auto'}: ${seconds} s (${JSON.stringify(result.timings)})`,
  );
  return result;
}

/** A whole 512x512 RGBA image, opaque, and not one flat colour. */
function expectImage(result: GenerateOutput): number[] {
  expect(result.width).toBe(IMAGE_SIZE);
  expect(result.height).toBe(IMAGE_SIZE);
  const pixels = result.pixels ?? [];
  expect(pixels.length).toBe(IMAGE_SIZE * IMAGE_SIZE * 4);
  expect(pixels.filter((_, i) => i % 4 === 3).every((alpha) => alpha === 255)).toBe(true);
  expect(new Set(pixels.filter((_, i) => i % 4 === 0)).size).toBeGreaterThan(64);
  return pixels;
}

describe('narrow stand-in models (SD-Turbo topology, 512x512) in Chromium', () => {
  let webgpuPixels: number[];
  let wasmPixels: number[] | undefined;

  it(
    'standin-narrow-fp32 makes a 512x512 image on WebGPU with 1 read-back and no GPU buffers per image',
    async () => {
      const info = await page.evaluate(() => window.pipelineTest.describe('standin-narrow-fp32'));
      expect(info.provider.provider, logs.join('\n')).toBe('webgpu');
      expect(info.residency).toBe('gpu');
      await generate('standin-narrow-fp32'); // warm-up: first-run shader compilation and allocations
      const result = await generate('standin-narrow-fp32');
      webgpuPixels = expectImage(result);
      expect(result.readbacks).toBe(1);
      expect(result.gpuBuffersCreated).toBe(0);
    },
    WEBGPU_TEST_TIMEOUT_MS,
  );

  it(
    "standin-narrow-fp32 makes the same image on wasm, within the tiny tests' WebGPU/wasm tolerance",
    async () => {
      const info = await page.evaluate(() =>
        window.pipelineTest.describe('standin-narrow-fp32', { provider: 'wasm' }),
      );
      expect(info.provider.provider).toBe('wasm');
      const result = await generate('standin-narrow-fp32', { provider: 'wasm' });
      const pixels = expectImage(result);
      wasmPixels = pixels;
      // No GPU at all on wasm: nothing to read back, nothing allocated.
      expect(result.readbacks).toBe(0);
      expect(result.gpuBuffersCreated).toBe(0);
      const diff = pixelDifference(webgpuPixels, pixels);
      expect(diff.max).toBeLessThanOrEqual(2);
      expect(diff.differingShare).toBeLessThan(0.02);
    },
    WASM_TEST_TIMEOUT_MS,
  );

  it(
    'standin-narrow-fp16 (FP16 weights, FP32 IO) makes a 512x512 image on wasm, like the FP32 one',
    async () => {
      const info = await page.evaluate(() =>
        window.pipelineTest.describe('standin-narrow-fp16', { provider: 'wasm' }),
      );
      expect(info.provider.provider).toBe('wasm');
      const result = await generate('standin-narrow-fp16', { provider: 'wasm' });
      const pixels = expectImage(result);
      expect(result.readbacks).toBe(0);
      expect(result.gpuBuffersCreated).toBe(0);
      const meanAbs = pixels.reduce((sum, v, i) => sum + Math.abs(v - webgpuPixels[i]), 0) / pixels.length;
      expect(meanAbs).toBeLessThan(4);
    },
    WASM_TEST_TIMEOUT_MS,
  );

  it(
    'standin-narrow-fp32 does image to image on wasm through its VAE encoder: one UNet step, unlike text to image',
    async () => {
      const picture = { width: 640, height: 480, pattern: 0, as: 'pixels' as const };
      const imageRequest = { ...request, steps: 2, strength: 0.5 };
      const result = (await page.evaluate(
        ([r, p]) =>
          window.pipelineTest.generateFromPicture('standin-narrow-fp32', r, p, { provider: 'wasm' }),
        [imageRequest, picture] as const,
      )) as GenerateOutput;
      console.log(`standin-narrow-fp32 image to image on wasm: ${JSON.stringify(result.timings)}`);
      const pixels = expectImage(result);
      expect(result.timings.unetMs).toHaveLength(1);
      expect(result.timings.vaeEncoderMs).toBeGreaterThan(0);
      // Run on its own (-t), the text-to-image wasm image is made here.
      wasmPixels ??= expectImage(await generate('standin-narrow-fp32', { provider: 'wasm' }));
      expect(pixelDifference(wasmPixels, pixels).differingShare).toBeGreaterThan(0.3);
    },
    // Run alone it also makes the text-to-image image (and loads the wasm sessions): about 110 s measured.
    3 * WASM_TEST_TIMEOUT_MS,
  );
});
