// @module-tag scale
/**
 * ORT WebGPU graph capture on the tiny FP32 model (int64 timestep, rewritten to float32 at load). Where the
 * onnxruntime-web release can replay a captured graph with the pipeline's own GPU buffers, the captured
 * pipeline must make the same pixels as the uncaptured one, first run and replays alike (a replay that read
 * stale buffers would repeat the first image). Up to onnxruntime-web 1.30 it cannot: the pipeline refuses
 * with the reason, and ORT itself, run directly, shows that reason (the capturing run works, the replay
 * fails). When an upgrade fixes the replay, the refusal's version bound in graph-capture.ts must move.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAST_UNREPLAYABLE_ORT_WEB } from '../src/pipeline/engine/graph-capture.js';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { startTestApp, type TestApp } from './support/browser.js';

type PipelineTest = Window['pipelineTest'];
type GenerateOutput = Awaited<ReturnType<PipelineTest['generate']>>;
type LoadOptions = Parameters<PipelineTest['generate']>[2];

let app: TestApp;
let page: Page;
let logs: string[];
let ortVersion: string;

const capture = { provider: 'webgpu', enableGraphCapture: true } as const;
const plain = { provider: 'webgpu' } as const;

function generate(seed: number, steps: number, options: LoadOptions) {
  const request = { prompt: 'a photo of a cat', seed, steps };
  return page.evaluate(([r, o]) => window.pipelineTest.generate('tiny-fp32', r, o), [
    request,
    options,
  ] as const) as Promise<GenerateOutput>;
}

/** Whether this release is one that cannot replay (the pipeline's version bound). */
function unreplayable(version: string): boolean {
  const [major, minor, patch] = version.split('.').map(Number);
  const [lastMajor, lastMinor, lastPatch] = LAST_UNREPLAYABLE_ORT_WEB.split('.').map(Number);
  return major * 1e6 + minor * 1e3 + patch <= lastMajor * 1e6 + lastMinor * 1e3 + lastPatch;
}

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
  ({ page, logs } = await app.openTestPage('/tests/pages/pipeline.html'));
  ortVersion = await page.evaluate(() => window.pipelineTest.ortVersion());
});

afterAll(() => app?.close());

describe('graph capture in Chromium (WebGPU)', () => {
  it('refuses capture with CPU residency, saying why', async () => {
    const result = await page.evaluate(() =>
      window.pipelineTest.loadError('tiny-fp32', {
        provider: 'webgpu',
        residency: 'cpu',
        enableGraphCapture: true,
      }),
    );
    expect(result.ok).toBe(false);
    expect(result.code).toBe('invalid-input');
    expect(result.message).toContain(
      "Graph capture needs every input and output in GPU buffers: use residency 'gpu'",
    );
  });

  it('on onnxruntime-web up to 1.30: refuses with the reason that ORT itself shows', async (context) => {
    if (!unreplayable(ortVersion)) context.skip('this onnxruntime-web can replay captured graphs');
    const refused = await page.evaluate(
      (options) => window.pipelineTest.loadError('tiny-fp32', options),
      capture,
    );
    expect(refused.ok).toBe(false);
    expect(refused.code).toBe('invalid-input');
    expect(refused.message).toContain(`Graph capture cannot replay on onnxruntime-web ${ortVersion}`);
    // ORT directly: with the float timestep every node is on WebGPU, so both captured sessions are created
    // and their capturing runs compute; the first replay fails in createBindGroup, its buffers' handles
    // released at the end of the runs before.
    const runs = await page.evaluate(() => window.pipelineTest.graphCaptureRuns('/models/tiny-fp32'));
    expect(runs[0].ok, JSON.stringify(runs[0])).toBe(true);
    expect(runs[1].ok, JSON.stringify(runs[1])).toBe(true);
    expect(runs[1].value!.every(Number.isFinite)).toBe(true);
    const replays = runs.slice(2);
    expect(
      replays.some((run) => !run.ok),
      JSON.stringify(replays),
    ).toBe(true);
    expect(replays.find((run) => !run.ok)!.message).toContain(
      "Failed to execute 'createBindGroup' on 'GPUDevice'",
    );
  }, 400_000);

  it('where ORT can replay: the same pixels as without capture, first run and replays alike', async (context) => {
    if (unreplayable(ortVersion)) context.skip(`onnxruntime-web ${ortVersion} cannot replay these graphs`);
    for (const [seed, steps] of [
      [42, 1],
      [43, 2],
      [42, 1],
    ] as const) {
      const captured = await generate(seed, steps, capture);
      const expected = await generate(seed, steps, plain);
      expect(captured.pixels, `seed ${seed}, ${steps} step(s)\n${logs.join('\n')}`).toEqual(expected.pixels);
      expect(captured.readbacks).toBe(1);
    }
    // Two loads and first images (shader compilation) on SwiftShader, on a shared 2-core machine.
  }, 400_000);
});
