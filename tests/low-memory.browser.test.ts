/**
 * Low-memory mode on tiny-fp32: one stage loaded at a time and released after use gives the same pixels
 * as every stage resident (bit for bit on wasm; within the WebGPU tolerance on WebGPU), with the single
 * read-back per image kept.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { startTestApp, type TestApp } from './support/browser.js';
import { pixelDifference } from './support/pixels.js';

type PipelineTest = Window['pipelineTest'];
type GenerateOutput = Awaited<ReturnType<PipelineTest['generate']>>;
type LoadOptions = NonNullable<Parameters<PipelineTest['generate']>[2]>;

let app: TestApp;
let page: Page;
let logs: string[];

/** Every low-memory image creates its sessions again: on SwiftShader, their shaders compile again too. */
const WEBGPU_TIMEOUT_MS = 300_000;

const request = { prompt: 'a photo of a cat', seed: 42, steps: 2 };

function generate(options: LoadOptions) {
  return page.evaluate(([r, o]) => window.pipelineTest.generate('tiny-fp32', r, o), [
    request,
    options,
  ] as const) as Promise<GenerateOutput>;
}

function describeModel(options: LoadOptions) {
  return page.evaluate((o) => window.pipelineTest.describe('tiny-fp32', o), options);
}

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
  ({ page, logs } = await app.openTestPage('/tests/pages/pipeline.html'));
});

afterAll(() => app?.close());

describe('low-memory mode', () => {
  // First in the page: no resident pipeline holds ORT's WebGPU device while the low-memory one releases
  // every stage, so a second image shows the device outlives its stages.
  it(
    'on WebGPU, releases each stage after use and keeps one read-back per image',
    { tags: ['scale'], timeout: WEBGPU_TIMEOUT_MS },
    async () => {
      const low = { provider: 'webgpu', memory: 'low' } as const;
      const info = await describeModel(low);
      expect(info.provider.provider, logs.join('\n')).toBe('webgpu');
      expect(info.memory).toBe('low');
      expect(info.memoryReason).toContain('as asked');
      // Load holds the text encoder only: the first stage of the first image.
      expect(info.stageSessions).toMatchObject({ created: 1, released: 0 });
      const first = await generate(low);
      expect(first.stageSessions).toMatchObject({ created: 2, released: 3 });
      const second = await generate(low);
      expect(second.stageSessions).toMatchObject({ created: 3, released: 3 });
      expect(second.stageSessions.loadMs).toBeGreaterThan(0);
      expect(second.readbacks).toBe(1);
      expect(second.pixels).toEqual(first.pixels);
    },
  );

  it(
    'on WebGPU, gives the pixels of the resident stages',
    { tags: ['scale'], timeout: WEBGPU_TIMEOUT_MS },
    async () => {
      const low = await generate({ provider: 'webgpu', memory: 'low' });
      const resident = await generate({ provider: 'webgpu', memory: 'resident' });
      expect(resident.stageSessions).toEqual({ created: 0, released: 0, loadMs: 0 });
      const diff = pixelDifference(low.pixels!, resident.pixels!);
      expect(diff.max).toBeLessThanOrEqual(2);
      expect(diff.differingShare).toBeLessThan(0.02);
    },
  );

  it('on wasm, gives bit-identical pixels to the resident stages', async () => {
    const info = await describeModel({ provider: 'wasm', memory: 'low' });
    expect(info.provider.provider).toBe('wasm');
    expect(info.memory).toBe('low');
    const low = await generate({ provider: 'wasm', memory: 'low' });
    const resident = await generate({ provider: 'wasm', memory: 'resident' });
    expect(low.stageSessions.released).toBe(3);
    expect(resident.stageSessions.released).toBe(0);
    expect(low.pixels).toEqual(resident.pixels);
    expect(new Set(low.pixels!.filter((_, i) => i % 4 === 0)).size).toBeGreaterThan(16);
  });

  it('on wasm, runs the UNet in parts to the pixels of the resident stages', async () => {
    const parted = { provider: 'wasm', memory: 'low', unetParts: 3 } as const;
    const low = await generate(parted);
    const resident = await generate({ provider: 'wasm', memory: 'resident' });
    // The first image: 3 UNet parts for each of the 2 steps and the VAE decoder created (the text encoder
    // was at load), and all 8 released.
    expect(low.stageSessions).toMatchObject({ created: 7, released: 8 });
    const diff = pixelDifference(low.pixels!, resident.pixels!);
    expect(diff.max).toBeLessThanOrEqual(1);
    expect(diff.differingShare).toBeLessThan(0.01);
    expect(new Set(low.pixels!.filter((_, i) => i % 4 === 0)).size).toBeGreaterThan(16);
  });

  it(
    'on WebGPU, runs the UNet in parts to the pixels of the resident stages',
    { tags: ['scale'], timeout: WEBGPU_TIMEOUT_MS },
    async () => {
      const parted = await generate({ provider: 'webgpu', memory: 'low', unetParts: 2 });
      const resident = await generate({ provider: 'webgpu', memory: 'resident' });
      expect(parted.stageSessions).toMatchObject({ created: 5, released: 6 });
      const diff = pixelDifference(parted.pixels!, resident.pixels!);
      expect(diff.max).toBeLessThanOrEqual(2);
      expect(diff.differingShare).toBeLessThan(0.02);
    },
  );

  it('loads the VAE encoder for image to image and releases it too', async () => {
    const result = (await page.evaluate(
      ([o]) =>
        window.pipelineTest.generateFromPicture(
          'tiny-fp32',
          { prompt: 'a photo of a cat', seed: 42, steps: 2, strength: 0.5 },
          { width: 64, height: 64, pattern: 0, as: 'pixels' },
          o,
        ),
      [{ provider: 'wasm', memory: 'low' }] as const,
    )) as GenerateOutput;
    expect(result.stageSessions).toMatchObject({ created: 4, released: 4 });
  });

  it('refuses a memory mode that does not exist', async () => {
    const refusal = await page.evaluate(() =>
      window.pipelineTest.loadError('tiny-fp32', { provider: 'wasm', memory: 'tiny' as 'low' }),
    );
    expect(refusal).toMatchObject({ code: 'invalid-input' });
    expect(refusal.message).toContain('"auto", "resident" or "low"');
  });
});
