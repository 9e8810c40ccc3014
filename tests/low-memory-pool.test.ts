/**
 * LowMemorySessionPool with the UNet in parts, on onnxruntime-web's wasm EP in Node behind a runtime that
 * records every session's options as the pipeline asked for WebGPU: the device keeper and every stage ask
 * ORT to destroy freed buffers ('lazyRelease'), the parts before the last give their outputs on the CPU, each part's session is
 * released before the next is made, and the parts give the whole UNet's output.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { getModel, parseManifest } from '../src/pipeline/model/manifest';
import type { ModelEntry } from '../src/pipeline/model/manifest-types';
import { capturedModelEntry } from '../src/pipeline/engine/graph-capture';
import { LowMemorySessionPool } from '../src/pipeline/engine/sessions/session-pools';
import type { SessionSettings } from '../src/pipeline/engine/sessions/stage-sessions';
import type { OrtRuntime } from '../src/pipeline/runtime/ort-runtime';
import { STAGE_PATHS, TINY_MODELS_DIR, ensureTinyModels } from '../scripts/tiny-models/index';
import { tinyUnetFeeds } from './support/tiny-unet-feeds';

ort.env.wasm.numThreads = 1;

type Options = ort.InferenceSession.SessionOptions;
let model: ModelEntry;
let files: Record<string, Uint8Array>;

interface Recorded {
  options: Options[];
  live: number;
  mostLive: number;
  /** With a device: what happened, in order ('create', 'run', 'release', 'drain'). */
  events?: string[];
}

/** ORT's wasm EP standing in for WebGPU: each session's options are kept, and live sessions counted. */
function recordingRuntime(recorded: Recorded): OrtRuntime {
  const create = async (graph: Uint8Array, options: Options) => {
    recorded.options.push(options);
    const session = await ort.InferenceSession.create(graph, {
      ...options,
      executionProviders: ['wasm'],
      preferredOutputLocation: 'cpu',
    });
    recorded.live++;
    recorded.mostLive = Math.max(recorded.mostLive, recorded.live);
    recorded.events?.push('create');
    const release = session.release.bind(session);
    session.release = async () => {
      recorded.live--;
      recorded.events?.push('release');
      await release();
    };
    const run = session.run.bind(session) as (...args: unknown[]) => Promise<unknown>;
    session.run = (async (...args: unknown[]) => {
      recorded.events?.push('run');
      return run(...args);
    }) as typeof session.run;
    return session;
  };
  // With events asked for, a device whose queue records each wait for it to drain.
  const device = { queue: { onSubmittedWorkDone: async () => void recorded.events!.push('drain') } };
  return {
    name: 'onnxruntime-web (wasm, recording)',
    InferenceSession: { create: create as unknown as typeof ort.InferenceSession.create },
    Tensor: ort.Tensor,
    env: recorded.events ? { ...ort.env, webgpu: { ...ort.env.webgpu, device } } : ort.env,
    gpuResidentTensors: recorded.events !== undefined,
  } as OrtRuntime;
}

function settings(runtime: OrtRuntime): SessionSettings {
  return { runtime, provider: 'webgpu', gpuOutputs: true };
}

beforeAll(async () => {
  await ensureTinyModels();
  const manifest = parseManifest(
    JSON.parse(await readFile(join(import.meta.dirname, '..', 'model-manifest.json'), 'utf8')),
  );
  model = getModel(manifest, 'tiny-fp32');
  files = {};
  for (const stage of ['textEncoder', 'unet', 'vaeDecoder'] as const) {
    files[stage] = new Uint8Array(await readFile(join(TINY_MODELS_DIR, 'tiny-fp32', STAGE_PATHS[stage])));
  }
});

async function unetOutput(parts: number, recorded: Recorded) {
  const pool = new LowMemorySessionPool(
    model,
    async (stage) => files[stage]!,
    settings(recordingRuntime(recorded)),
    parts,
  );
  try {
    const session = await pool.session('unet');
    const output = (await session.run(tinyUnetFeeds(3, 4))).out_sample;
    await pool.done('unet');
    return { output: output.data as Float32Array, churn: { ...pool.churn } };
  } finally {
    await pool.releaseAll();
  }
}

describe('the low-memory pool', () => {
  it('asks ORT to destroy freed WebGPU buffers, on the device keeper and every stage', async () => {
    const recorded: Recorded = { options: [], live: 0, mostLive: 0 };
    await unetOutput(1, recorded);
    expect(recorded.options).toHaveLength(2);
    for (const options of recorded.options) {
      expect(options.executionProviders).toEqual([{ name: 'webgpu', storageBufferCacheMode: 'lazyRelease' }]);
    }
    expect(recorded.live).toBe(0);
  });

  it("runs the UNet in three parts, one session at a time, to the whole UNet's output", async () => {
    const whole = await unetOutput(1, { options: [], live: 0, mostLive: 0 });
    const recorded: Recorded = { options: [], live: 0, mostLive: 0 };
    const parted = await unetOutput(3, recorded);
    // The device keeper, then the three parts, each released before the next was made.
    expect(recorded.options).toHaveLength(4);
    expect(recorded.mostLive).toBe(2);
    expect(recorded.live).toBe(0);
    const [, ...parts] = recorded.options;
    expect(parts.map((options) => options.preferredOutputLocation)).toEqual(['cpu', 'cpu', 'gpu-buffer']);
    expect(parted.churn).toMatchObject({ created: 3, released: 3 });
    expect(parted.churn.loadMs).toBeGreaterThan(0);
    expect(whole.churn).toMatchObject({ created: 1, released: 1 });
    let max = 0;
    for (let i = 0; i < whole.output.length; i++)
      max = Math.max(max, Math.abs(whole.output[i] - parted.output[i]));
    expect(max).toBeLessThan(1e-5);
    expect(new Set(parted.output).size).toBeGreaterThan(10);
  });

  it('waits for the queue to drain after each release and after each part is created, before it runs', async () => {
    const recorded: Recorded = { options: [], live: 0, mostLive: 0, events: [] };
    await unetOutput(3, recorded);
    // The device keeper; then per part: made, its uploads drained, run, released, the keeper run (its
    // freed buffers destroyed) and drained; then the keeper released.
    const part = ['create', 'drain', 'run', 'release', 'run', 'drain'];
    expect(recorded.events).toEqual(['create', ...part, ...part, ...part, 'release']);
  });

  describe('refuses a manifest that misnames the UNet, leaving no session loaded', () => {
    const withUnetOutput = (change: { name?: string; type?: string }): ModelEntry => {
      const unet = model.stages.unet;
      const noisePred = { ...unet.outputs.noisePred, ...change };
      return {
        ...model,
        stages: { ...model.stages, unet: { ...unet, outputs: { ...unet.outputs, noisePred } } },
      } as ModelEntry;
    };

    for (const parts of [1, 3]) {
      for (const [what, change, message] of [
        ['a name', { name: 'noise' }, 'output "noise"'],
        ['a type', { type: 'float16' }, 'is float32 in the model but float16 in the manifest'],
      ] as const) {
        it(`${what}, the UNet in ${parts} part(s)`, async () => {
          const recorded: Recorded = { options: [], live: 0, mostLive: 0 };
          const pool = new LowMemorySessionPool(
            withUnetOutput(change),
            async (stage) => files[stage]!,
            settings(recordingRuntime(recorded)),
            parts,
          );
          try {
            const run = async () => {
              const session = await pool.session('unet');
              await session.run(tinyUnetFeeds(3, 4));
            };
            await expect(run()).rejects.toMatchObject({ code: 'model-io-mismatch' });
            await expect(run()).rejects.toThrow(message);
            // Only the device keeper is left.
            expect(recorded.live).toBe(1);
          } finally {
            await pool.releaseAll();
          }
          expect(recorded.live).toBe(0);
        });
      }
    }
  });

  it('runs the UNet whole with graph capture, which records one session', async () => {
    const recorded: Recorded = { options: [], live: 0, mostLive: 0 };
    // As the pipeline loads for capture: the UNet's timestep made float (graph-capture.ts).
    const pool = new LowMemorySessionPool(
      capturedModelEntry(model),
      async (stage) => files[stage]!,
      { ...settings(recordingRuntime(recorded)), enableGraphCapture: true },
      3,
    );
    try {
      await pool.session('unet');
      expect(pool.churn.created).toBe(1);
    } finally {
      await pool.releaseAll();
    }
  });
});
