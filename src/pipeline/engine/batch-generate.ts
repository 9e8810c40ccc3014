/**
 * Several images in one pass: the text encoder once, then the UNet and the VAE decoder on a batch of
 * latents [count, 4, h, w], one seed per image. CPU-resident tensors only (wasm, or WebGPU's `io cpu`).
 * Each image's arithmetic is the single image's: the per-sample kernels of ORT's CPU provider loop over
 * the batch, so on wasm every image is bit-identical to the one `generate` makes with its seed.
 */
import type * as ort from 'onnxruntime-web/webgpu';
import { EulerTrailingScheduler, gaussianNoise } from '../../scheduler/index.js';
import { PipelineError } from '../errors.js';
import {
  WASM_MAX_HEAP_BYTES,
  type ModelEntry,
  type ModelStageName,
  type StageSessionOptions,
} from '../model/manifest-types.js';
import type { OrtRuntime } from '../runtime/ort-runtime.js';
import { tokenizePrompt } from '../text/tokenizer.js';
import type { GenerateResult } from './generate-result.js';
import { latentsToPixels } from './pixels.js';
import { floatData, readFloats, scalarData } from './stage-run.js';
import type { StageSessionPool } from './sessions/index.js';

/** The names exporters give a graph's symbolic batch dimension (optimum: batch_size; others: batch). */
const BATCH_DIMENSION_NAMES = ['batch_size', 'batch'] as const;
export const MAX_BATCH = 8;

/**
 * The override that fixes the batch dimension, if the stage has one: a dimension ORT may override is
 * symbolic in the graph, so its presence in the manifest says that the graph takes any batch.
 */
function batchDimension(session: StageSessionOptions | undefined): string | undefined {
  const overrides = session?.freeDimensionOverrides ?? {};
  return BATCH_DIMENSION_NAMES.find((name) => name in overrides);
}

/** Whether the UNet and VAE decoder graphs of this model take a batch of images (a symbolic batch dimension). */
export function canBatch(model: ModelEntry): boolean {
  const { unet, vaeDecoder } = model.stages;
  return batchDimension(unet.session) !== undefined && batchDimension(vaeDecoder.session) !== undefined;
}

/**
 * The model with its UNet and VAE decoder sessions fixed to `count` images: load a pipeline from it to
 * call `generateBatch` with that many seeds. The text encoder keeps one prompt.
 */
export function batchedModelEntry(model: ModelEntry, count: number): ModelEntry {
  if (!Number.isInteger(count) || count < 1 || count > MAX_BATCH) {
    throw new PipelineError('invalid-input', `A batch is 1 to ${MAX_BATCH} images, got ${String(count)}.`);
  }
  if (!canBatch(model)) {
    throw new PipelineError(
      'invalid-input',
      `${model.id}'s UNet or VAE decoder has no symbolic batch dimension in the manifest: make the images one after another.`,
    );
  }
  const withBatch = <Stage extends { session?: StageSessionOptions }>(stage: Stage): Stage => {
    const overrides = { ...stage.session?.freeDimensionOverrides };
    overrides[batchDimension(stage.session)!] = count;
    return { ...stage, session: { ...stage.session, freeDimensionOverrides: overrides } };
  };
  const { unet, vaeDecoder } = model.stages;
  return { ...model, stages: { ...model.stages, unet: withBatch(unet), vaeDecoder: withBatch(vaeDecoder) } };
}

/**
 * The model with the UNet's and VAE decoder's batch dimension left free, so that one pair of sessions
 * makes a single image or a batch of any size (wasm, where a fixed dimension buys no speed).
 */
export function freeBatchModelEntry(model: ModelEntry): ModelEntry {
  const withoutBatch = <Stage extends { session?: StageSessionOptions }>(stage: Stage): Stage => {
    const overrides = { ...stage.session?.freeDimensionOverrides };
    delete overrides[batchDimension(stage.session)!];
    return { ...stage, session: { ...stage.session, freeDimensionOverrides: overrides } };
  };
  const { unet, vaeDecoder } = model.stages;
  return {
    ...model,
    stages: { ...model.stages, unet: withoutBatch(unet), vaeDecoder: withoutBatch(vaeDecoder) },
  };
}

/**
 * The most images one pass can make on wasm: the heap holds the model's peak and each further image's
 * activations (the manifest's measured `heapBytesPerImage`), within a wasm heap's 4 GiB and the memory
 * the device reports. 1 where the graphs take no batch or the manifest states no per-image need.
 */
export function wasmBatchLimit(model: ModelEntry, memoryBytes?: number): number {
  const needs = model.requires.wasm;
  if (!needs || !needs.heapBytesPerImage || !canBatch(model)) return 1;
  const room = Math.min(WASM_MAX_HEAP_BYTES, memoryBytes ?? WASM_MAX_HEAP_BYTES) - needs.heapBytes;
  return Math.max(1, Math.min(MAX_BATCH, 1 + Math.floor(room / needs.heapBytesPerImage)));
}

/** The batch a model entry's sessions are fixed to (1 where the manifest fixes none). */
export function batchSizeOf(model: ModelEntry): number {
  const session = model.stages.unet.session;
  const name = batchDimension(session);
  return name === undefined ? 1 : (session?.freeDimensionOverrides?.[name] ?? 1);
}

export interface BatchRequest {
  prompt: string;
  /** One per image; as many as the pipeline's batch. */
  seeds: readonly number[];
  steps: number;
  signal?: AbortSignal;
}

function repeat(values: Float32Array, times: number): Float32Array {
  const out = new Float32Array(values.length * times);
  for (let index = 0; index < times; index++) out.set(values, index * values.length);
  return out;
}

/** Text to image for every seed at once; the timings are the batch's, shared by its images. */
export async function generateBatch(
  model: ModelEntry,
  sessions: StageSessionPool,
  runtime: OrtRuntime,
  request: BatchRequest,
): Promise<GenerateResult[]> {
  const count = request.seeds.length;
  const started = performance.now();
  const churnBefore = { ...sessions.churn };
  const { textEncoder, unet, vaeDecoder } = model.stages;
  const { channels, height, width } = model.latent;
  const latentShape = [count, channels, height, width];
  const scheduler = new EulerTrailingScheduler();
  scheduler.setTimesteps(request.steps);

  let mark = performance.now();
  const { maxLength, padId } = model.tokenizer;
  const tokens = await tokenizePrompt(request.prompt, { maxLength, padId });
  const tokenizeMs = performance.now() - mark;
  mark = performance.now();
  const ids = new runtime.Tensor('int32', tokens.ids, [1, maxLength]);
  const hiddenTensor = (await runStage(sessions, 'textEncoder', { [textEncoder.inputs.inputIds.name]: ids }))[
    textEncoder.outputs.hiddenStates.name
  ];
  const hiddenType = unet.inputs.encoderHiddenStates.type;
  const hidden = new runtime.Tensor(
    hiddenType,
    floatData(hiddenType, repeat(await readFloats(hiddenTensor), count)),
    [count, maxLength, model.hiddenSize],
  );
  const textEncoderMs = performance.now() - mark;

  const sampleSize = channels * height * width;
  const x = new Float32Array(sampleSize * count);
  request.seeds.forEach((seed, index) => x.set(gaussianNoise(seed, sampleSize), index * sampleSize));
  for (let i = 0; i < x.length; i++) x[i] *= scheduler.initNoiseSigma;
  let input = x.map((value) => value * scheduler.inputScale(0));

  const unetMs: number[] = [];
  for (let index = 0; index < scheduler.stepCount; index++) {
    if (request.signal?.aborted) throw request.signal.reason;
    mark = performance.now();
    const timestep = scheduler.timesteps[index];
    // One timestep for the whole batch, shaped as for one image: the UNet broadcasts its embedding.
    const timesteps = new runtime.Tensor(
      unet.inputs.timestep.type,
      scalarData(unet.inputs.timestep.type, timestep),
      [1],
    );
    const feeds = {
      [unet.inputs.sample.name]: new runtime.Tensor(
        unet.inputs.sample.type,
        floatData(unet.inputs.sample.type, input),
        latentShape,
      ),
      [unet.inputs.timestep.name]: timesteps,
      [unet.inputs.encoderHiddenStates.name]: hidden,
    };
    // The UNet stays loaded for every step; the low-memory pool releases it after the last one.
    const unetSession = await sessions.session('unet');
    const noisePred = await readFloats((await unetSession.run(feeds))[unet.outputs.noisePred.name]);
    unetMs.push(performance.now() - mark);
    const last = index === scheduler.stepCount - 1;
    const outputScale = last ? 1 / model.vaeScalingFactor : scheduler.inputScale(index + 1);
    const coefficient = scheduler.stepCoefficient(index);
    const next = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      x[i] += noisePred[i] * coefficient;
      next[i] = x[i] * outputScale;
    }
    input = next;
  }
  await sessions.done('unet');

  if (request.signal?.aborted) throw request.signal.reason;
  mark = performance.now();
  const latents = new runtime.Tensor(
    vaeDecoder.inputs.latentSample.type,
    floatData(vaeDecoder.inputs.latentSample.type, input),
    latentShape,
  );
  const decoded = await readFloats(
    (await runStage(sessions, 'vaeDecoder', { [vaeDecoder.inputs.latentSample.name]: latents }))[
      vaeDecoder.outputs.sample.name
    ],
  );
  const vaeMs = performance.now() - mark;

  mark = performance.now();
  const plane = 3 * model.image.width * model.image.height;
  const images = request.seeds.map((_, index) =>
    latentsToPixels(
      decoded.subarray(index * plane, (index + 1) * plane),
      model.image.width,
      model.image.height,
    ),
  );
  const pixelsMs = performance.now() - mark;
  const totalMs = performance.now() - started;
  const stagesMs = textEncoderMs + unetMs.reduce((sum, ms) => sum + ms, 0) + vaeMs;
  return images.map((pixels, index) => ({
    pixels,
    width: model.image.width,
    height: model.image.height,
    prompt: request.prompt,
    seed: request.seeds[index],
    steps: request.steps,
    truncated: tokens.truncated,
    timings: { totalMs, tokenizeMs, textEncoderMs, unetMs, vaeMs, pixelsMs, overheadMs: totalMs - stagesMs },
    readbacks: 0,
    readbackBytes: 0,
    gpuBuffersCreated: 0,
    uploadStagingBuffers: 0,
    stageSessions: {
      created: sessions.churn.created - churnBefore.created,
      released: sessions.churn.released - churnBefore.released,
      loadMs: sessions.churn.loadMs - churnBefore.loadMs,
    },
  }));
}

/** One stage's run from the pool; the low-memory pool releases the stage once it is done. */
async function runStage(
  sessions: StageSessionPool,
  stage: ModelStageName,
  feeds: Record<string, ort.Tensor>,
): Promise<ort.InferenceSession.OnnxValueMapType> {
  const outputs = await (await sessions.session(stage)).run(feeds);
  await sessions.done(stage);
  return outputs;
}
