// @module-tag scale
/**
 * Mixed-IO exports (microsoft/sd-turbo-webnn: FP16-IO text encoder and UNet, FP32-IO VAE): the GPU
 * path's passes convert between stage types on the GPU, FP16 included without shader-f16, and the
 * tiny-mixed stand-in runs end to end on wasm, and on WebGPU widened to FP32 (FP32 IO included). FP16 IO
 * as stored cannot run on this SwiftShader adapter, not even around FP32 compute (ORT runs the edge Casts
 * on WebGPU, which refuses them), so the WebGPU side is checked pass by pass, and the export's IO contract
 * in an FP32 form (tiny-webnn-fp32: static shapes, int32 ids, float timestep) runs GPU-resident end to end.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../scripts/onnx-builder/onnx-graph.js';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { fromFloat16Bits, toFloat16Bits } from '../src/pipeline/engine/float16.js';
import type { LatentTypes } from '../src/pipeline/engine/latent-kernels.js';
import { latentsToPixels } from '../src/pipeline/engine/pixels.js';
import type { KernelCase } from './pages/kernels-page.js';
import { startTestApp, type TestApp } from './support/browser.js';
import { pixelDifference } from './support/pixels.js';

let app: TestApp;
let kernelsPage: Page;
let pipelinePage: Page;
let pipelineLogs: string[];

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
  ({ page: kernelsPage } = await app.openTestPage('/tests/pages/kernels.html'));
  ({ page: pipelinePage, logs: pipelineLogs } = await app.openTestPage('/tests/pages/pipeline.html'));
});

afterAll(() => app?.close());

/** A deterministic spread of values, negatives and values that FP16 cannot hold exactly included. */
function values(count: number, seed: number, scale: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.sin(i * 12.9898 + seed) * scale);
}

const roundToFloat16 = (xs: number[]) => Array.from(fromFloat16Bits(toFloat16Bits(xs)));

function expectClose(actual: number[], expected: number[], tolerance: number) {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(...actual.map((value, i) => Math.abs(value - expected[i])));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe('GPU passes between stages of mixed types', () => {
  const width = 8;
  const height = 8;
  const elements = 4 * 4 * 4;
  const base = {
    noise: values(elements, 1, 1),
    noisePred: values(elements, 2, 1),
    image: values(3 * width * height, 3, 1.1),
    width,
    height,
    initSigma: 14.6146,
    inputScale: 0.0683,
    coefficient: -14.6146,
    outputScale: 1 / 0.18215,
  };

  const cases: LatentTypes[] = [
    { unetInput: 'float16', noisePred: 'float16', vaeInput: 'float32', image: 'float32' }, // sd-turbo-webnn
    { unetInput: 'float32', noisePred: 'float32', vaeInput: 'float16', image: 'float16' },
    { unetInput: 'float16', noisePred: 'float32', vaeInput: 'float16', image: 'float32' },
    { unetInput: 'float32', noisePred: 'float32', vaeInput: 'float32', image: 'float32' },
  ];

  it.each(cases)('unet in %o', async (types) => {
    const test: KernelCase = { ...base, types };
    const output = await kernelsPage.evaluate((t) => window.kernelTest.run(t), test);
    expect(output.shaderF16).toBe(false); // what makes the u32 packing necessary here

    // What the CPU path computes (cpu-stage-run.ts), in f32 then rounded to each buffer's type.
    const eps = types.noisePred === 'float16' ? roundToFloat16(base.noisePred) : base.noisePred;
    const x = base.noise.map((n) => Math.fround(n * base.initSigma));
    const unetInput = x.map((v) => v * base.inputScale);
    const vaeInput = x.map((v, i) => (v + eps[i] * base.coefficient) * base.outputScale);
    const image = types.image === 'float16' ? roundToFloat16(base.image) : base.image;
    const pixels = Array.from(latentsToPixels(Float32Array.from(image), width, height));

    // FP16 keeps 11 significant bits: a relative error up to 2^-11, plus f32 rounding.
    const tolerance = (type: string, xs: number[]) =>
      Math.max(...xs.map(Math.abs)) * (type === 'float16' ? 2 ** -10 : 2 ** -20);
    expectClose(output.unetInput, unetInput, tolerance(types.unetInput, unetInput));
    expectClose(output.vaeInput, vaeInput, tolerance(types.vaeInput, vaeInput));
    const pixelError = Math.max(...output.pixels.map((p, i) => Math.abs(p - pixels[i])));
    expect(pixelError).toBeLessThanOrEqual(1);
  });
});

type PipelineTest = Window['pipelineTest'];
const request = { prompt: 'a photo of a cat', seed: 42, steps: 2 };
/** One image of `request` from `modelId` on the pipeline page. */
const generate = (modelId: string, options: Parameters<PipelineTest['generate']>[2]) =>
  pipelinePage.evaluate(([id, r, o]) => window.pipelineTest.generate(id, r, o), [
    modelId,
    request,
    options,
  ] as const);

describe('tiny-mixed (FP16 text encoder and UNet, FP32 VAE)', () => {
  it('runs on wasm and agrees with the all-FP16 set, whose text encoder and UNet it shares', async () => {
    const mixed = await generate('tiny-mixed', { provider: 'wasm' });
    const again = await generate('tiny-mixed', { provider: 'wasm' });
    const fp16 = await generate('tiny-fp16', { provider: 'wasm' });
    expect(mixed.pixels).toEqual(again.pixels);
    expect(new Set(mixed.pixels!.filter((_, i) => i % 4 === 0)).size).toBeGreaterThan(16);
    // Same weights; only the VAE computes in FP32 instead of FP16.
    const meanAbs =
      mixed.pixels!.reduce((sum, value, i) => sum + Math.abs(value - fp16.pixels![i]), 0) /
      mixed.pixels!.length;
    expect(meanAbs).toBeLessThan(4);
  });

  it('runs on WebGPU without shader-f16 widened to FP32 (FP32 IO too), agreeing with wasm', async () => {
    const info = await pipelinePage.evaluate(() =>
      window.pipelineTest.describe('tiny-mixed', { provider: 'webgpu' }),
    );
    expect(info.precision, pipelineLogs.join('\n')).toBe('fp32-widened');
    const widened = await generate('tiny-mixed', { provider: 'webgpu' });
    const wasm = await generate('tiny-mixed', { provider: 'wasm' });
    const meanAbs =
      widened.pixels!.reduce((sum, value, i) => sum + Math.abs(value - wasm.pixels![i]), 0) /
      widened.pixels!.length;
    expect(meanAbs).toBeLessThan(4);
  }, 300_000); // A WebGPU load and two images on SwiftShader: minutes on a busy 2-core machine.

  it('keeps one read-back per image for the FP32 set on WebGPU', async () => {
    const image = await generate('tiny-fp32', undefined);
    expect(image.readbacks).toBe(1);
  });
});

describe('FP16 IO around FP32 compute (Cast nodes at the edges) on WebGPU without shader-f16', () => {
  it('is placed wholly on the WebGPU EP (no CPU fallback) and refused there at run', async () => {
    const graph = new GraphBuilder('float32');
    const x = graph.addInput('x', 'float16', [1, 4, 8, 8]);
    const doubled = graph.node('Mul', [graph.cast(x, 'float32'), graph.scalar('two', 2)]);
    graph.addOutput(graph.cast(doubled, 'float16'), 'y', 'float16', [1, 4, 8, 8]);
    const bytes = Array.from(graph.encode('fp16_io', 'FP16 IO, FP32 compute'));
    const logStart = pipelineLogs.length;
    const outcome = await pipelinePage.evaluate((b) => window.pipelineTest.runFloat16IoGraph(b), bytes);
    const logs = pipelineLogs.slice(logStart).join('\n');
    expect(logs).toContain('All nodes placed on [WebGpuExecutionProvider]. Number of nodes: 3');
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toContain('Program Cast requires f16 but the device does not support it');
  });
});

describe("tiny-webnn-fp32 (sd-turbo-webnn's IO contract in FP32: static shapes, int32 ids, float timestep)", () => {
  let webgpuPixels: number[];

  it('runs GPU-resident on WebGPU: 1 read-back and no new GPU buffers per image after warm-up', async () => {
    const info = await pipelinePage.evaluate(() => window.pipelineTest.describe('tiny-webnn-fp32'));
    expect(info.provider.provider, pipelineLogs.join('\n')).toBe('webgpu');
    expect(info.residency).toBe('gpu');
    await generate('tiny-webnn-fp32', undefined); // warm-up: shader compilation, first-run allocations
    const image = await generate('tiny-webnn-fp32', undefined);
    expect(image.readbacks).toBe(1);
    expect(image.readbackBytes).toBe(64 * 64 * 4);
    expect(image.gpuBuffersCreated).toBe(0);
    // The float timestep is a CPU tensor, uploaded once per step.
    expect(image.uploadStagingBuffers).toBeLessThanOrEqual(request.steps);
    webgpuPixels = image.pixels!;
    expect(new Set(webgpuPixels.filter((_, i) => i % 4 === 0)).size).toBeGreaterThan(16);
  });

  it("agrees with wasm within the WebGPU/wasm tolerance, and computes tiny-fp32's image", async () => {
    const wasm = await generate('tiny-webnn-fp32', { provider: 'wasm' });
    expect(wasm.readbacks).toBe(0);
    const diff = pixelDifference(webgpuPixels, wasm.pixels!);
    expect(diff.max).toBeLessThanOrEqual(2);
    expect(diff.differingShare).toBeLessThan(0.02);
    // Same weights as tiny-fp32: only the IO contract differs, and it changes no pixel.
    const fp32 = await generate('tiny-fp32', { provider: 'wasm' });
    expect(wasm.pixels).toEqual(fp32.pixels);
  });
});
