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
} from '../src/pipeline/download/index.js';
import {
  TextToImagePipeline,
  getModel,
  loadManifest,
  preloadTokenizer,
  type ModelEntry,
} from '../src/pipeline/index.js';
import type { BenchConfig, FailedOutcome, LoadFigures, Variant, WorkerMessage } from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

const store = new IdbChunkStore();

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
  const pipeline = await TextToImagePipeline.create(model, {
    provider: config.provider,
    residency: variant.residency,
    enableGraphCapture: config.enableGraphCapture,
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

async function run(config: BenchConfig): Promise<void> {
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
        },
      });
    }
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
    for (let image = 1; image <= config.images; image++, index++) await round(index, false, image);
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
