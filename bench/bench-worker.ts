/// <reference lib="webworker" />
/**
 * The benchmark's pipeline Worker. It loads a model the way the app's pipeline worker does (the
 * downloader's IndexedDB store, `loadModelFile` per stage, `TextToImagePipeline.create` in a dedicated
 * Worker) and then makes the warm-up and counted images back to back, reporting each one's figures.
 * It exists beside src/pipeline/pipeline-worker.ts because the app's protocol loads one pipeline with
 * the manifest's session options, while the benchmark varies ORT's options (optimization level, free
 * dimensions, graph capture, wasm threads) and holds several pipelines at once to alternate between them.
 */
import * as ort from 'onnxruntime-web/webgpu';
import {
  IdbChunkStore,
  downloadModel,
  getModelStorageStatus,
  loadModelFile,
} from '../src/pipeline/storage/index.js';
import {
  TextToImagePipeline,
  getModel,
  loadManifest,
  preloadTokenizer,
  type GenerationProgress,
  type ModelEntry,
  type StageName,
} from '../src/pipeline/index.js';
import { countGpuCalls, gpuCallsSince } from './gpu-calls.js';
import {
  COUNTED_MARK,
  END_MARK,
  type BenchConfig,
  type FailedOutcome,
  type HostSegment,
  type LoadFigures,
  type Variant,
  type WorkerMessage,
} from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

const store = new IdbChunkStore();

/** Wrapped before any session exists, so every command ORT issues is counted. */
countGpuCalls();

/** Longer than Node could take to read /proc; a page without Node's mark function answers at once. */
const CPU_MARK_TIMEOUT_MS = 10_000;

/** undefined where SharedArrayBuffer is missing (a page that is not cross-origin isolated). */
const markSignal =
  typeof SharedArrayBuffer === 'undefined' ? undefined : new Int32Array(new SharedArrayBuffer(4));

/**
 * Has Node read the browser processes' CPU times under `label`, blocking this thread meanwhile, so that
 * the CPU used before the mark and after it fall on the two sides.
 */
function markCpu(label: string): void {
  if (!markSignal) return;
  Atomics.store(markSignal, 0, 0);
  post({ type: 'cpu-mark', label, signal: markSignal.buffer as SharedArrayBuffer });
  if (Atomics.wait(markSignal, 0, 0, CPU_MARK_TIMEOUT_MS) === 'timed-out') {
    throw new Error(`the CPU mark "${label}" got no answer within ${CPU_MARK_TIMEOUT_MS / 1000} s`);
  }
}

function stageLabel(progress: GenerationProgress): string {
  switch (progress.stage) {
    case 'text-encoder':
      return 'text encoder';
    case 'vae-encoder':
      return 'vae encoder';
    case 'unet':
      return `unet step ${progress.step}`;
    case 'vae-decoder':
      return 'vae decoder + pixels';
  }
}

function post(message: WorkerMessage): void {
  self.postMessage(message);
}

function describeError(error: unknown): FailedOutcome['error'] {
  if (error instanceof Error) {
    const code = (error as Error & { code?: string }).code;
    return { name: error.name, message: error.message, code };
  }
  return { name: 'Error', message: String(error) };
}

/** The manifest's entry with the benchmark's session knobs applied to every stage. */
function withSessionKnobs(model: ModelEntry, variant: Variant): ModelEntry {
  const stages = structuredClone(model.stages);
  for (const stage of Object.values(stages)) {
    const session = { ...stage.session };
    if (variant.graphOptimizationLevel) session.graphOptimizationLevel = variant.graphOptimizationLevel;
    if (!variant.freeDimensionOverrides) delete session.freeDimensionOverrides;
    stage.session = session;
  }
  return { ...model, stages };
}

async function modelFor(config: BenchConfig): Promise<ModelEntry> {
  return getModel(await loadManifest(config.manifestUrl), config.modelId);
}

async function storeWeights(model: ModelEntry, config: BenchConfig): Promise<void> {
  await downloadModel(model, { store, manifestUrl: config.manifestUrl, mirrorBaseUrl: config.mirrorBaseUrl });
}

async function prepare(config: BenchConfig): Promise<void> {
  const started = performance.now();
  const model = await modelFor(config);
  await storeWeights(model, config);
  const status = await getModelStorageStatus(model, store);
  post({
    type: 'prepared',
    outcome: {
      mode: 'prepare',
      bytesStored: status.bytesStored,
      complete: status.complete,
      ms: performance.now() - started,
    },
  });
}

async function load(config: BenchConfig, variant: Variant): Promise<TextToImagePipeline> {
  if (config.wasmThreads !== undefined) ort.env.wasm.numThreads = config.wasmThreads;
  const started = performance.now();
  // As the app's worker: the tokenizer's vocabulary loads while the sessions are made.
  const tokenizerReady = preloadTokenizer();
  const model = withSessionKnobs(await modelFor(config), variant);
  // The app checks the store before every load (a no-op when complete); the cold start pays for it too.
  await storeWeights(model, config);
  let readWeightsMs = 0;
  if (config.provider === 'webgl')
    throw new Error('WebGL is probed stage by stage, not loaded as a pipeline.');
  const pipeline = await TextToImagePipeline.create(model, {
    provider: config.provider,
    residency: variant.residency,
    enableGraphCapture: variant.enableGraphCapture,
    loadStage: async (stage) => {
      const reading = performance.now();
      const bytes = await loadModelFile(model, stage, store);
      readWeightsMs += performance.now() - reading;
      return bytes;
    },
  });
  await tokenizerReady;
  const figures: LoadFigures = {
    provider: pipeline.provider,
    residency: pipeline.residency,
    readWeightsMs,
    loadMs: performance.now() - started,
    wasmThreads: ort.env.wasm.numThreads ?? 1,
  };
  post({ type: 'loaded', load: figures });
  return pipeline;
}

/** Held after the run, as the app holds its model, so the page measures memory with the model loaded. */
const loadedPipelines: TextToImagePipeline[] = [];

/** Pipeline order for image `index`: A B, then B A, ... so neither always goes first. */
function pipelineOrder(index: number, count: number): number[] {
  const order = Array.from({ length: count }, (_, pipeline) => pipeline);
  return index % 2 === 0 ? order : order.reverse();
}

/** Warm-up seeds stay clear of the counted images' 1..N, so counted images are the same whatever the warm-up. */
const WARMUP_SEED_BASE = 1_000_000;

/** Zero-filled inputs for one stage, from the manifest's names, types and the model's static shapes. */
function zeroFeeds(ortWeb: typeof ort, model: ModelEntry, stage: StageName): Record<string, ort.Tensor> {
  const { channels, height, width } = model.latent;
  const sequence = model.tokenizer.maxLength;
  const tensor = (type: string, dims: number[]) => {
    const count = dims.reduce((product, dim) => product * dim, 1);
    const data =
      type === 'int64'
        ? new BigInt64Array(count)
        : type === 'int32'
          ? new Int32Array(count)
          : type === 'float16'
            ? new Uint16Array(count)
            : new Float32Array(count);
    return new ortWeb.Tensor(type as 'float32', data as Float32Array, dims);
  };
  const stages = model.stages;
  switch (stage) {
    case 'textEncoder':
      return {
        [stages.textEncoder.inputs.inputIds.name]: tensor(stages.textEncoder.inputs.inputIds.type, [
          1,
          sequence,
        ]),
      };
    case 'unet': {
      const { sample, timestep, encoderHiddenStates } = stages.unet.inputs;
      return {
        [sample.name]: tensor(sample.type, [1, channels, height, width]),
        [timestep.name]: tensor(timestep.type, [1]),
        [encoderHiddenStates.name]: tensor(encoderHiddenStates.type, [1, sequence, model.hiddenSize]),
      };
    }
    case 'vaeDecoder':
      return {
        [stages.vaeDecoder.inputs.latentSample.name]: tensor(stages.vaeDecoder.inputs.latentSample.type, [
          1,
          channels,
          height,
          width,
        ]),
      };
  }
}

function webGlContextStatus(): string {
  if (typeof OffscreenCanvas === 'undefined') return 'no OffscreenCanvas';
  for (const kind of ['webgl2', 'webgl'] as const) {
    try {
      const context = new OffscreenCanvas(1, 1).getContext(kind);
      if (context) return `OffscreenCanvas.getContext('${kind}') gives a context`;
    } catch (error) {
      return `OffscreenCanvas.getContext('${kind}') threw ${describeError(error).message}`;
    }
  }
  return "OffscreenCanvas.getContext('webgl2') and ('webgl') return null";
}

/**
 * ORT's WebGL EP is not a pipeline provider (ORT deprecated it, and docs/benchmarks/results/2026-11-30.md lists why SD graphs fail
 * on it): this tries it in onnxruntime-web's default build, then each stage in the `all` build, and
 * reports every exact error; a stage that runs reports its time on zero inputs.
 */
async function probeWebGl(config: BenchConfig): Promise<void> {
  const model = await modelFor(config);
  await storeWeights(model, config);
  const results: string[] = [];
  // The default build first: in 1.30 it registers no WebGL backend at all (its error says so).
  const ortDefault = (await import('onnxruntime-web')) as unknown as typeof ort;
  try {
    await ortDefault.InferenceSession.create(await loadModelFile(model, 'vaeDecoder', store), {
      executionProviders: ['webgl'],
    });
    results.push('default build: has a WebGL backend');
  } catch (error) {
    results.push(`default build: ${describeError(error).message.replace(/\s+/g, ' ').trim()}`);
  }
  // The `all` build (WebGL, WebGPU, wasm), loaded only here: the pipeline itself uses the WebGPU build.
  const ortAll = (await import('onnxruntime-web/all')) as unknown as typeof ort;
  for (const stage of ['textEncoder', 'unet', 'vaeDecoder'] as const) {
    const bytes = await loadModelFile(model, stage, store);
    let step = 'session creation';
    try {
      const session = await ortAll.InferenceSession.create(bytes, {
        executionProviders: ['webgl'],
        freeDimensionOverrides: model.stages[stage].session?.freeDimensionOverrides,
      });
      step = 'run';
      const started = performance.now();
      await session.run(zeroFeeds(ortAll, model, stage));
      results.push(
        `all build, ${stage}: ran on zero inputs in ${(performance.now() - started).toFixed(1)} ms`,
      );
      await session.release();
    } catch (error) {
      const { name, message } = describeError(error);
      results.push(`all build, ${stage}: ${step} failed: ${name}: ${message.replace(/\s+/g, ' ').trim()}`);
    }
  }
  // ORT's "backend not found" hides why its WebGL backend did not start: say whether WebGL exists here.
  results.push(`WebGL in this worker: ${webGlContextStatus()}`);
  post({
    type: 'failed',
    phase: 'load',
    error: {
      name: 'WebGlProbe',
      code: 'webgl',
      message: `ORT WebGL EP: ${results.join('; ')}`,
    },
  });
}

async function run(config: BenchConfig): Promise<void> {
  if (config.provider === 'webgl') return probeWebGl(config);
  try {
    for (const variant of config.variants) loadedPipelines.push(await load(config, variant));
  } catch (error) {
    post({ type: 'failed', phase: 'load', error: describeError(error) });
    return;
  }
  /** One image from every pipeline, in ABBA order; the same seed for all, so each round makes one image. */
  const round = async (index: number, warmup: boolean, ordinal: number) => {
    for (const pipeline of pipelineOrder(index, loadedPipelines.length)) {
      const seed = warmup ? WARMUP_SEED_BASE + ordinal : ordinal;
      const calls = { ...countGpuCalls() };
      const result = await loadedPipelines[pipeline].generate({
        prompt: config.prompt,
        seed,
        steps: config.steps,
      });
      post({
        type: 'image',
        record: {
          pipeline,
          index,
          warmup,
          ordinal,
          seed,
          timings: result.timings,
          readbacks: result.readbacks,
          readbackBytes: result.readbackBytes,
          gpuBuffersCreated: result.gpuBuffersCreated,
          uploadStagingBuffers: result.uploadStagingBuffers,
          gpuCalls: gpuCallsSince(calls),
        },
      });
    }
  };
  /** One image with a CPU mark and a count of GPU calls at every stage's start. */
  const hostImage = async (pipeline: number, ordinal: number) => {
    const segments: HostSegment[] = [];
    let open = { label: 'tokenize', calls: { ...countGpuCalls() } };
    const startSegment = (label: string) => {
      segments.push({ label: open.label, ...gpuCallsSince(open.calls) });
      markCpu(label);
      open = { label, calls: { ...countGpuCalls() } };
    };
    markCpu(open.label);
    await loadedPipelines[pipeline].generate({
      prompt: config.prompt,
      seed: WARMUP_SEED_BASE * 2 + ordinal,
      steps: config.steps,
      onProgress: (progress) => startSegment(stageLabel(progress)),
    });
    startSegment(END_MARK);
    post({ type: 'host-image', image: { pipeline, segments } });
  };
  try {
    const warmupStarted = performance.now();
    let index = 0;
    for (
      ;
      index < config.warmups || performance.now() - warmupStarted < config.warmupSeconds * 1000;
      index++
    ) {
      await round(index, true, index + 1);
    }
    markCpu(COUNTED_MARK);
    for (let image = 1; image <= config.images; image++, index++) await round(index, false, image);
    markCpu(END_MARK);
    if (config.hostImages > 0 && !markSignal) {
      post({
        type: 'host-pass-skipped',
        reason: 'no SharedArrayBuffer (the page is not cross-origin isolated)',
      });
    }
    for (let ordinal = 1; markSignal && ordinal <= config.hostImages; ordinal++) {
      for (let pipeline = 0; pipeline < loadedPipelines.length; pipeline++)
        await hostImage(pipeline, ordinal);
    }
    post({ type: 'done' });
  } catch (error) {
    post({ type: 'failed', phase: 'generate', error: describeError(error) });
  }
}

self.addEventListener('message', (event: MessageEvent<BenchConfig>) => {
  const config = event.data;
  const work = config.mode === 'prepare' ? prepare(config) : run(config);
  work.catch((error: unknown) =>
    post({
      type: 'failed',
      phase: config.mode === 'prepare' ? 'prepare' : 'load',
      error: describeError(error),
    }),
  );
});
