// @module-tag scale
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { startTestApp, type TestApp } from './support/browser.js';
import { meanPixelDifference } from './support/pixels.js';

type PipelineTest = Window['pipelineTest'];
type GenerateOutput = Awaited<ReturnType<PipelineTest['generate']>>;
type LoadOptions = Parameters<PipelineTest['generate']>[2];

let app: TestApp;
let page: Page;
let logs: string[];

const request = { prompt: 'a photo of a cat', seed: 42, steps: 1 };
const mixed = { provider: 'webgpu', textEncoderProvider: 'wasm' } as const;

function generate(options: LoadOptions) {
  return page.evaluate(([r, o]) => window.pipelineTest.generate('tiny-fp16', r, o), [
    request,
    options,
  ] as const) as Promise<GenerateOutput>;
}

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
  ({ page, logs } = await app.openTestPage('/tests/pages/pipeline.html'));
});

afterAll(() => app?.close());

describe('mixed placement: the text encoder on wasm beside WebGPU (SwiftShader, no shader-f16)', () => {
  it('runs the text encoder in FP16 on wasm and the widened UNet and VAE on WebGPU, and says so', async () => {
    const info = await page.evaluate((o) => window.pipelineTest.describe('tiny-fp16', o), mixed);
    expect(info.provider.provider, logs.join('\n')).toBe('webgpu');
    expect(info.residency).toBe('gpu');
    expect(info.placement).toEqual({
      textEncoder: { provider: 'wasm', precision: 'fp16' },
      unet: { provider: 'webgpu', precision: 'fp32-widened' },
      vaeDecoder: { provider: 'webgpu', precision: 'fp32-widened' },
    });
    expect(info.provider.reason).toContain('The text encoder runs on wasm (CPU)');
  });

  it('makes the image wasm makes, within the FP16-vs-FP32 tolerance, in GPU and CPU residency', async () => {
    const gpuResident = await generate(mixed);
    const again = await generate(mixed);
    expect(gpuResident.pixels).toEqual(again.pixels);
    // The hidden states cross once, uploaded; the image is the only read-back.
    expect(gpuResident.readbacks).toBe(1);
    const cpuResident = await generate({ ...mixed, residency: 'cpu' });
    const half = await generate({ provider: 'wasm' });
    // FP32 arithmetic on the FP16 weights against FP16 arithmetic: pipeline.browser.test.ts's tolerance.
    expect(meanPixelDifference(gpuResident.pixels!, half.pixels!)).toBeLessThan(4);
    expect(meanPixelDifference(cpuResident.pixels!, half.pixels!)).toBeLessThan(4);
    // Both residencies feed the UNet the same FP32 hidden states and run the same kernels.
    expect(meanPixelDifference(gpuResident.pixels!, cpuResident.pixels!)).toBeLessThan(1);
  }, 300_000); // Two WebGPU loads and three images on SwiftShader on a busy 2-core machine.
});
