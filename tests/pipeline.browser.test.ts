import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { startTestApp, type TestApp } from './support/browser.js';
import { pixelDifference } from './support/pixels.js';

type PipelineTest = Window['pipelineTest'];
type GenerateOutput = Awaited<ReturnType<PipelineTest['generate']>>;

let app: TestApp;
let page: Page;
let logs: string[];

const request = { prompt: 'a photo of a cat', seed: 42, steps: 1 };

function generate(modelId: string, req: typeof request, options?: Parameters<PipelineTest['generate']>[2]) {
  return page.evaluate(([id, r, o]) => window.pipelineTest.generate(id, r, o), [
    modelId,
    req,
    options,
  ] as const) as Promise<GenerateOutput>;
}

type PictureSpec = Parameters<PipelineTest['generateFromPicture']>[2];
const picture: PictureSpec = { width: 64, height: 64, pattern: 0, as: 'pixels' };
const imageRequest = { prompt: 'a photo of a cat', seed: 42, steps: 2, strength: 0.5 };

function generateFromPicture(
  modelId: string,
  req: Parameters<PipelineTest['generateFromPicture']>[1],
  source: PictureSpec,
  options?: Parameters<PipelineTest['generate']>[2],
) {
  return page.evaluate(([id, r, p, o]) => window.pipelineTest.generateFromPicture(id, r, p, o), [
    modelId,
    req,
    source,
    options,
  ] as const) as Promise<GenerateOutput>;
}

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
  ({ page, logs } = await app.openTestPage('/tests/pages/pipeline.html'));
});

afterAll(() => app?.close());

describe('text-to-image pipeline in Chromium', () => {
  it('chooses WebGPU for the FP32 tiny model and says so', async () => {
    const info = await page.evaluate(() => window.pipelineTest.describe('tiny-fp32'));
    expect(info.provider.provider, logs.join('\n')).toBe('webgpu');
    expect(info.provider.fellBack).toBe(false);
    expect(info.residency).toBe('gpu');
  });

  it('makes a deterministic, seed- and prompt-dependent image on WebGPU', async () => {
    const first = await generate('tiny-fp32', request);
    const second = await generate('tiny-fp32', request);
    expect(first.width * first.height * 4).toBe(first.pixels!.length);
    expect(first.pixels).toEqual(second.pixels);
    const otherSeed = await generate('tiny-fp32', { ...request, seed: 43 });
    const otherPrompt = await generate('tiny-fp32', { ...request, prompt: 'a watercolor of a lighthouse' });
    expect(pixelDifference(first.pixels!, otherSeed.pixels!).differingShare).toBeGreaterThan(0.3);
    expect(pixelDifference(first.pixels!, otherPrompt.pixels!).differingShare).toBeGreaterThan(0.05);
    // Alpha is opaque and the image is not one flat colour.
    expect(first.pixels!.filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true);
    expect(new Set(first.pixels!.filter((_, i) => i % 4 === 0)).size).toBeGreaterThan(16);
  });

  it('reads back only the final image on WebGPU and allocates nothing per image', async () => {
    const result = await generate('tiny-fp32', { ...request, steps: 2 });
    expect(result.readbacks).toBe(1);
    expect(result.readbackBytes).toBe(result.height * Math.ceil((result.width * 4) / 256) * 256);
    expect(result.gpuBuffersCreated).toBe(0);
    // ORT stages the CPU timestep of each step through one mapped upload buffer.
    expect(result.uploadStagingBuffers).toBeLessThanOrEqual(2);
    const timings = result.timings;
    expect(timings.unetMs).toHaveLength(2);
    expect(timings.totalMs).toBeGreaterThanOrEqual(timings.textEncoderMs + timings.vaeMs);
  });

  it('refuses to draw into a canvas on a software adapter, whose WebGPU canvas would lose the device', async () => {
    const info = await page.evaluate(() => window.pipelineTest.describe('tiny-fp32'));
    expect(info.provider.softwareAdapter).toBe(true);
    const outcome = await page.evaluate(() =>
      window.pipelineTest.generateToCanvas('tiny-fp32', { prompt: 'x', seed: 1 }).then(
        () => ({ ok: true, code: undefined }),
        (error: { code?: string }) => ({ ok: false, code: error.code }),
      ),
    );
    expect(outcome).toEqual({ ok: false, code: 'invalid-input' });
    const after = await generate('tiny-fp32', request);
    expect(after.readbacks).toBe(1);
  });

  it('gives the same image through the CPU between stages as GPU-resident', async () => {
    const gpu = await generate('tiny-fp32', { ...request, steps: 3 });
    const cpu = await generate(
      'tiny-fp32',
      { ...request, steps: 3 },
      { provider: 'webgpu', residency: 'cpu' },
    );
    expect(cpu.readbacks).toBeGreaterThanOrEqual(5);
    // Same kernels, same order of float32 operations except the scheduler's multiply-add (fused or not):
    // at most one rounding step apart on a few pixels.
    const diff = pixelDifference(gpu.pixels!, cpu.pixels!);
    expect(diff.max).toBeLessThanOrEqual(1);
    expect(diff.differingShare).toBeLessThan(0.01);
  });

  it('agrees between WebGPU and wasm for the same FP32 models', async () => {
    const gpu = await generate('tiny-fp32', request);
    const wasm = await generate('tiny-fp32', request, { provider: 'wasm' });
    // Different kernels sum in different orders: float32 results differ by ~1e-6 relative, far below one
    // 8-bit step (1/127.5 in [-1, 1]); only values sitting at a rounding boundary flip, by one step.
    const diff = pixelDifference(gpu.pixels!, wasm.pixels!);
    expect(diff.max).toBeLessThanOrEqual(2);
    expect(diff.differingShare).toBeLessThan(0.02);
  });

  it('runs the FP16 model on wasm, deterministically', async () => {
    const info = await page.evaluate(() => window.pipelineTest.describe('tiny-fp16', { provider: 'wasm' }));
    expect(info.provider.provider).toBe('wasm');
    const first = await generate('tiny-fp16', request, { provider: 'wasm' });
    const second = await generate('tiny-fp16', request, { provider: 'wasm' });
    expect(first.pixels).toEqual(second.pixels);
    const otherSeed = await generate('tiny-fp16', { ...request, seed: 7 }, { provider: 'wasm' });
    expect(pixelDifference(first.pixels!, otherSeed.pixels!).differingShare).toBeGreaterThan(0.3);
    // FP16 weights and activations against FP32: the same image in broad strokes.
    const fp32 = await generate('tiny-fp32', request, { provider: 'wasm' });
    const meanAbs =
      first.pixels!.reduce((sum, v, i) => sum + Math.abs(v - fp32.pixels![i]), 0) / first.pixels!.length;
    expect(meanAbs).toBeLessThan(4);
  });

  it('runs the FP16 model on WebGPU without shader-f16 widened to FP32, agreeing with wasm', async () => {
    for (const provider of ['webgpu', 'auto'] as const) {
      const info = await page.evaluate(
        (p) => window.pipelineTest.describe('tiny-fp16', { provider: p }),
        provider,
      );
      expect(info.provider.provider, logs.join('\n')).toBe('webgpu');
      expect(info.provider.shaderF16).toBe(false);
      expect(info.precision).toBe('fp32-widened');
      expect(info.provider.reason).toContain('FP32 on this GPU: twice the memory');
      expect(info.residency).toBe('gpu');
    }
    // ORT creates its device with the adapter's largest buffers: the limits every widened tensor is checked against.
    const limits = await page.evaluate(() => window.pipelineTest.bufferLimits());
    expect(limits.device).toEqual(limits.adapter);

    const widened = await generate('tiny-fp16', request, { provider: 'webgpu' });
    const again = await generate('tiny-fp16', request, { provider: 'webgpu' });
    expect(widened.pixels).toEqual(again.pixels);
    const half = await generate('tiny-fp16', request, { provider: 'wasm' });
    // FP32 arithmetic on the FP16 weights against FP16 arithmetic: the FP16-vs-FP32 tolerance above.
    const meanAbs =
      widened.pixels!.reduce((sum, v, i) => sum + Math.abs(v - half.pixels![i]), 0) / widened.pixels!.length;
    expect(meanAbs).toBeLessThan(4);
    const otherSeed = await generate('tiny-fp16', { ...request, seed: 7 }, { provider: 'webgpu' });
    expect(pixelDifference(widened.pixels!, otherSeed.pixels!).differingShare).toBeGreaterThan(0.3);
  }, 300_000); // Two WebGPU loads and four images on SwiftShader: minutes on a busy 2-core machine.

  it('refuses the widened form before fetching a file where one FP32 tensor is above the adapter limit', async () => {
    const before = await page.evaluate(() => window.pipelineTest.stageFetches());
    const refused = await page.evaluate(() =>
      window.pipelineTest.loadError('tiny-fp16', { provider: 'webgpu', widenedTensorBytes: 2 * 1024 ** 3 }),
    );
    expect(refused.ok).toBe(false);
    expect(refused.code).toBe('unsupported-device');
    expect(refused.message).toContain('needs 2048 MiB in FP32 (this adapter lacks "shader-f16"');
    expect(await page.evaluate(() => window.pipelineTest.stageFetches())).toBe(before);
    const auto = await page.evaluate(() =>
      window.pipelineTest.describe('tiny-fp16', { provider: 'auto', widenedTensorBytes: 2 * 1024 ** 3 }),
    );
    expect(auto.provider.provider).toBe('wasm');
    expect(auto.provider.fellBack).toBe(true);
    expect(auto.precision).toBe('fp16');
  });

  it('rejects bad requests with specific errors', async () => {
    const cases: [unknown, string][] = [
      [{ prompt: 42, seed: 1 }, 'prompt must be a string'],
      [{ prompt: 'x', seed: 1.5 }, 'seed must be an integer'],
      [{ prompt: 'x', seed: -1 }, 'seed must be an integer'],
      [{ prompt: 'x', seed: 1, steps: 0 }, 'Steps must be an integer from 1 to 4'],
      [{ prompt: 'x', seed: 1, steps: 5 }, 'Steps must be an integer from 1 to 4'],
      [{ prompt: 'x'.repeat(20_000), seed: 1 }, 'the limit is 10000'],
    ];
    for (const [req, message] of cases) {
      const outcome = await page.evaluate(([r]) => window.pipelineTest.generateError('tiny-fp32', r), [
        req,
      ] as const);
      expect(outcome.code, JSON.stringify(req).slice(0, 60)).toBe('invalid-input');
      expect(outcome.message).toContain(message);
    }
  });

  it('accepts an empty prompt and a long, unicode prompt (truncated)', async () => {
    const empty = await generate('tiny-fp32', { ...request, prompt: '' });
    expect(empty.truncated).toBe(false);
    const long = await generate('tiny-fp32', { ...request, prompt: '東京 café, '.repeat(60) });
    expect(long.truncated).toBe(true);
  });

  it('cancels between stages, leaks nothing, and refuses a second concurrent run', async () => {
    const result = await page.evaluate(() =>
      window.pipelineTest.cancelDuringRun('tiny-fp32', { prompt: 'x', seed: 3 }),
    );
    expect(result.outcome).toMatchObject({ ok: false, name: 'AbortError' });
    expect(result.buffersCreatedDuringCancelledRun).toBe(0);
    expect(result.busyOutcome).toMatchObject({ ok: false, code: 'busy' });
    const after = await generate('tiny-fp32', request);
    expect(after.pixels!.length).toBe(after.width * after.height * 4);
  });
});

describe('image-to-image pipeline in Chromium', () => {
  it('strength 0.5 with 2 steps runs one UNet step on WebGPU, with one read-back, unlike text to image', async () => {
    const fromImage = await generateFromPicture('tiny-fp32', imageRequest, picture);
    expect(fromImage.timings.unetMs).toHaveLength(1);
    expect(fromImage.timings.vaeEncoderMs).toBeGreaterThan(0);
    expect(fromImage.strength).toBe(0.5);
    expect(fromImage.readbacks).toBe(1);
    const again = await generateFromPicture('tiny-fp32', imageRequest, picture);
    expect(again.pixels).toEqual(fromImage.pixels);
    // The encoder session's first run allocates ORT's intermediate buffers; later images allocate none.
    expect(again.gpuBuffersCreated).toBe(0);
    expect(again.readbacks).toBe(1);
    const fromText = await generate('tiny-fp32', { ...request, steps: 2 });
    expect(fromText.timings.unetMs).toHaveLength(2);
    expect(pixelDifference(fromImage.pixels!, fromText.pixels!).differingShare).toBeGreaterThan(0.3);
  });

  it('depends on the picture and on the strength', async () => {
    const base = await generateFromPicture('tiny-fp32', imageRequest, picture);
    const otherPicture = await generateFromPicture('tiny-fp32', imageRequest, { ...picture, pattern: 1 });
    expect(pixelDifference(base.pixels!, otherPicture.pixels!).differingShare).toBeGreaterThan(0.3);
    const fullStrength = await generateFromPicture('tiny-fp32', { ...imageRequest, strength: 1 }, picture);
    expect(fullStrength.timings.unetMs).toHaveLength(2);
    expect(pixelDifference(base.pixels!, fullStrength.pixels!).differingShare).toBeGreaterThan(0.3);
  });

  it('gives the same image on wasm and through the CPU as GPU-resident on WebGPU', async () => {
    const gpu = await generateFromPicture('tiny-fp32', imageRequest, picture);
    const wasm = await generateFromPicture('tiny-fp32', imageRequest, picture, { provider: 'wasm' });
    expect(wasm.timings.unetMs).toHaveLength(1);
    const cpu = await generateFromPicture('tiny-fp32', imageRequest, picture, {
      provider: 'webgpu',
      residency: 'cpu',
    });
    for (const other of [wasm, cpu]) {
      const diff = pixelDifference(gpu.pixels!, other.pixels!);
      expect(diff.max).toBeLessThanOrEqual(2);
      expect(diff.differingShare).toBeLessThan(0.02);
    }
    const wasmText = await generate('tiny-fp32', { ...request, steps: 2 }, { provider: 'wasm' });
    expect(pixelDifference(wasm.pixels!, wasmText.pixels!).differingShare).toBeGreaterThan(0.3);
  });

  it('runs the FP16 encoder on wasm', async () => {
    const half = await generateFromPicture('tiny-fp16', imageRequest, picture, { provider: 'wasm' });
    const full = await generateFromPicture('tiny-fp32', imageRequest, picture, { provider: 'wasm' });
    expect(half.timings.unetMs).toHaveLength(1);
    const meanAbs =
      half.pixels!.reduce((sum, v, i) => sum + Math.abs(v - full.pixels![i]), 0) / half.pixels!.length;
    expect(meanAbs).toBeLessThan(4);
  });

  it('crops and resizes an ImageBitmap or pixels of another size to the model', async () => {
    const wide = { width: 160, height: 96, pattern: 0 };
    const bitmap = await generateFromPicture('tiny-fp32', imageRequest, { ...wide, as: 'bitmap' });
    const pixels = await generateFromPicture('tiny-fp32', imageRequest, { ...wide, as: 'pixels' });
    expect(bitmap.pixels).toHaveLength(64 * 64 * 4);
    // Two resamplers (the browser's and the area average) of the same crop: close, not identical.
    const meanAbs =
      bitmap.pixels!.reduce((sum, v, i) => sum + Math.abs(v - pixels.pixels![i]), 0) / bitmap.pixels!.length;
    expect(meanAbs).toBeLessThan(6);
  });

  it('rejects bad strength and steps combinations and bad pictures with clear messages', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...imageRequest, strength: 0.4 }, 'Strength 0.4 with 2 step(s) runs no step'],
      [{ ...imageRequest, steps: 1, strength: 0.5 }, 'use strength >= 1 or more steps'],
      [{ ...imageRequest, steps: 4, strength: 0.2 }, 'use strength >= 0.25 or more steps'],
      [{ ...imageRequest, strength: 0 }, 'Strength must be a number in (0, 1], got 0'],
      [{ ...imageRequest, strength: 1.5 }, 'Strength must be a number in (0, 1], got 1.5'],
      [{ ...imageRequest, strength: '0.5' }, 'Strength must be a number in (0, 1]'],
    ];
    for (const [req, message] of cases) {
      const outcome = await page.evaluate(
        ([r, p]) => window.pipelineTest.generateFromPictureError('tiny-fp32', r, p),
        [req, picture] as const,
      );
      expect(outcome.code, JSON.stringify(req)).toBe('invalid-input');
      expect(outcome.message).toContain(message);
    }
    const strengthWithoutImage = await page.evaluate(() =>
      window.pipelineTest.generateError('tiny-fp32', { prompt: 'x', seed: 1, strength: 0.5 }),
    );
    expect(strengthWithoutImage).toMatchObject({ code: 'invalid-input' });
    expect(strengthWithoutImage.message).toContain('Strength applies to image to image only');
    const shortData = await page.evaluate(() =>
      window.pipelineTest.generateFromPictureError(
        'tiny-fp32',
        { prompt: 'x', seed: 1 },
        { data: 100, width: 8, height: 8 },
      ),
    );
    expect(shortData).toMatchObject({ code: 'invalid-input' });
    expect(shortData.message).toContain('must be 256 RGBA bytes (8x8x4), got 100');
    const after = await generateFromPicture('tiny-fp32', imageRequest, picture);
    expect(after.timings.unetMs).toHaveLength(1);
  });

  it('refuses image to image on a model without a VAE encoder', async () => {
    const outcome = await page.evaluate(
      ([p]) =>
        window.pipelineTest.generateFromPictureError('tiny-fp32', { prompt: 'x', seed: 1 }, p, {
          withoutEncoder: true,
        }),
      [picture] as const,
    );
    expect(outcome).toMatchObject({ ok: false, name: 'NoImageEncoderError', code: 'invalid-input' });
    expect(outcome.message).toContain('"tiny-fp32" cannot do image to image');
    const textStillWorks = await page.evaluate(() =>
      window.pipelineTest.describe('tiny-fp32', { withoutEncoder: true }),
    );
    expect(textStillWorks.residency).toBe('gpu');
  });
});
