/// <reference lib="webworker" />
/**
 * The load benchmark's Worker: stores the model through the app's downloader, then loads it the app's
 * way (IndexedDB -> loadModelFile per stage -> TextToImagePipeline.create) and, when asked, makes the
 * first image and a second one. It logs a phase mark as each part starts, so the runner can tell which
 * part Chromium's memory peaked in.
 */
import {
  IdbChunkStore,
  downloadModel,
  getModelStorageStatus,
  loadModelFile,
  loadModelFileVerifyingBeside,
  streamModelFile,
  streamModelFileVerifyingBeside,
} from '../../src/pipeline/storage/index.js';
import {
  TextToImagePipeline,
  checkRequirements,
  getModel,
  loadManifest,
  preloadTokenizer,
  probeDevice,
  requirementError,
  sizedModelEntry,
} from '../../src/pipeline/index.js';
import type { ModelEntry } from '../../src/pipeline/model/manifest-types.js';
import {
  PHASE_MARK,
  SESSION_MARK,
  STAGE_MARK,
  TEXT_ENCODER_RUNS,
  type LoadBenchConfig,
  type LoadPageOutcome,
  type LoadPhase,
} from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

/**
 * ORT makes its wasm heap as a WebAssembly.Memory on its first session, long after this module runs:
 * every Memory made in this Worker is kept, to read the heap's size after the sessions exist.
 */
const memories: WebAssembly.Memory[] = [];
WebAssembly.Memory = new Proxy(WebAssembly.Memory, {
  construct(target, args: [WebAssembly.MemoryDescriptor]) {
    const memory = Reflect.construct(target, args) as WebAssembly.Memory;
    memories.push(memory);
    return memory;
  },
});

function wasmHeapBytes(): number | null {
  return memories.length === 0 ? null : Math.max(...memories.map((memory) => memory.buffer.byteLength));
}

function mark(phase: LoadPhase): void {
  console.log(`${PHASE_MARK}${phase}`);
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

async function measure(config: LoadBenchConfig, outcome: LoadPageOutcome): Promise<void> {
  const store = new IdbChunkStore();
  const model = getModel(await loadManifest(config.manifestUrl), config.modelId);
  // As the app: a model this device cannot run is refused before a byte of it is fetched.
  const refusal = requirementError(checkRequirements(model, await probeDevice()), config.provider);
  if (refusal) throw refusal;
  if (config.mode === 'warm') return measureWarmStart(config, outcome, model, store);
  const storedBefore = (await getModelStorageStatus(model, store)).bytesStored;

  mark('download');
  const download = await timed(() =>
    downloadModel(model, { store, manifestUrl: config.manifestUrl, mirrorBaseUrl: config.mirrorBaseUrl }),
  );
  outcome.downloadMs = download.ms;
  outcome.bytesDownloaded = (await getModelStorageStatus(model, store)).bytesStored - storedBefore;
  if (config.mode === 'store') return;

  mark('load');
  const tokenizerReady = preloadTokenizer();
  let readWeightsMs = 0;
  const load = await timed(() =>
    TextToImagePipeline.create(config.size ? sizedModelEntry(model, config.size) : model, {
      provider: config.provider,
      memory: config.memory,
      unetParts: config.unetParts,
      textEncoderProvider: config.textEncoder,
      loadStage: async (stage) => {
        const read = await timed(() => loadModelFile(model, stage, store));
        readWeightsMs += read.ms;
        return read.value;
      },
      // As the app: a widened stage is read chunk by chunk; the waits for its chunks count as reading.
      streamStage: (stage) =>
        timedChunks(streamModelFile(model, stage, store), (ms) => (readWeightsMs += ms)),
    }),
  );
  await tokenizerReady;
  const pipeline = load.value;
  outcome.provider = pipeline.provider.provider;
  outcome.memory = pipeline.memory;
  outcome.placement = placementLabels(pipeline);
  outcome.loadMs = load.ms;
  outcome.readWeightsMs = readWeightsMs;
  outcome.wasmHeapBytesAfterLoad = wasmHeapBytes();

  if (config.textEncoderOnly) {
    mark('images');
    outcome.textEncoderMs = [];
    for (let run = 0; run < TEXT_ENCODER_RUNS; run++) {
      outcome.textEncoderMs.push(await pipeline.timeTextEncoder('a lighthouse at dawn, oil painting'));
    }
    return;
  }
  if (!config.images) return;
  mark('images');
  const request = (image: number) => ({
    prompt: 'a lighthouse at dawn, oil painting',
    steps: 1,
    seed: image,
    onProgress: ({ stage }: { stage: string }) => console.log(`${STAGE_MARK}image ${image}: ${stage}`),
  });
  const stopSessionMarks = markSessionChurn(pipeline);
  try {
    outcome.firstImageMs = (await timed(() => pipeline.generate(request(1)))).ms;
    const steady = await timed(() => pipeline.generate(request(2)));
    outcome.steadyImageMs = steady.ms;
    const { created, released, loadMs } = steady.value.stageSessions;
    outcome.steadyImageStageSessions = { created, released, loadMs: Math.round(loadMs) };
  } finally {
    stopSessionMarks();
  }
}

/**
 * Logs a session mark whenever the pipeline's count of created or released stage sessions changes (a
 * UNet part counts as one), so that --trace can place each memory sample between session events. Polled:
 * the pipeline has no event for it, and 20 ms is finer than the runner's 100 ms samples.
 */
function markSessionChurn(pipeline: TextToImagePipeline): () => void {
  let last = '';
  const timer = setInterval(() => {
    const { created, released } = pipeline.stageSessions;
    const now = `created ${created}, released ${released}`;
    if (now !== last) console.log(`${SESSION_MARK}${now}`);
    last = now;
  }, 20);
  return () => clearInterval(timer);
}

/**
 * A second page load's start, the model stored: the app's way (each stage read and its session created, the
 * next stage read meanwhile, the digests checked once every session exists), or with --verify-first each
 * digest checked before its session, as every load did before.
 */
async function measureWarmStart(
  config: LoadBenchConfig,
  outcome: LoadPageOutcome,
  model: ModelEntry,
  store: IdbChunkStore,
): Promise<void> {
  const status = await getModelStorageStatus(model, store);
  if (!status.complete)
    throw new Error(`${model.id} is not stored: a warm start needs the first page's download`);
  mark('load');
  const tokenizerReady = preloadTokenizer();
  const verifications: Promise<void>[] = [];
  let allowReadBack!: () => void;
  const readBackAfter = new Promise<void>((resolve) => (allowReadBack = resolve));
  const track = (verified: Promise<void>) => {
    verified.catch(() => undefined);
    verifications.push(verified);
  };
  const started = performance.now();
  const load = await timed(() =>
    TextToImagePipeline.create(config.size ? sizedModelEntry(model, config.size) : model, {
      provider: config.provider,
      memory: config.memory,
      unetParts: config.unetParts,
      textEncoderProvider: config.textEncoder,
      onStageLoaded: (timing) => outcome.stages.push(timing),
      loadStage: async (stage) => {
        if (config.verifyFirst) return loadModelFile(model, stage, store);
        const read = await loadModelFileVerifyingBeside(model, stage, store, readBackAfter);
        track(read.verified);
        return read.bytes;
      },
      // As the app: a widened stage streams from the store as it is widened, checked as loadStage's bytes.
      streamStage: (stage) =>
        config.verifyFirst
          ? streamModelFile(model, stage, store)
          : streamModelFileVerifyingBeside(model, stage, store, readBackAfter, track),
    }),
  );
  await tokenizerReady;
  const pipeline = load.value;
  outcome.provider = pipeline.provider.provider;
  outcome.memory = pipeline.memory;
  outcome.placement = placementLabels(pipeline);
  outcome.readyMs = outcome.loadMs = load.ms;
  outcome.readWeightsMs = outcome.stages.reduce((sum, stage) => sum + stage.readMs, 0);
  outcome.wasmHeapBytesAfterLoad = wasmHeapBytes();
  // As in the app: the warm-up image, then what the hash could not keep pace with is read back.
  outcome.warmupMs = config.images ? await pipeline.warmUp() : null;
  allowReadBack();
  await Promise.all(verifications);
  outcome.verifyMs = performance.now() - started;
}

/** `chunks` as they come, with the time spent waiting for each one handed to `spent`. */
async function* timedChunks(chunks: AsyncIterable<Uint8Array>, spent: (ms: number) => void) {
  const iterator = chunks[Symbol.asyncIterator]();
  try {
    for (;;) {
      const started = performance.now();
      const next = await iterator.next();
      spent(performance.now() - started);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // A widening stopped early closes its source here too, so that the store's hasher ends with it.
    await iterator.return?.();
  }
}

self.addEventListener('message', (event: MessageEvent<LoadBenchConfig>) => {
  const config = event.data;
  const outcome: LoadPageOutcome = {
    ok: false,
    error: null,
    provider: null,
    bytesDownloaded: 0,
    downloadMs: null,
    loadMs: null,
    readWeightsMs: null,
    wasmHeapBytesAfterLoad: null,
    firstImageMs: null,
    steadyImageMs: null,
    imageSkipped: config.images ? null : 'not asked for (--no-image)',
    readyMs: null,
    stages: [],
    verifyMs: null,
    warmupMs: null,
    memory: null,
    placement: null,
    textEncoderMs: null,
    steadyImageStageSessions: null,
  };
  measure(config, outcome)
    .then(() => {
      outcome.ok = true;
    })
    .catch((error: unknown) => {
      const code = (error as { code?: string }).code;
      outcome.error = `${code ? `[${code}] ` : ''}${error instanceof Error ? error.message : String(error)}`;
      outcome.wasmHeapBytesAfterLoad ??= wasmHeapBytes();
    })
    .finally(() => self.postMessage(outcome));
});

/** Where each stage ran, as `provider/precision` per stage. */
function placementLabels(pipeline: TextToImagePipeline): Record<string, string> {
  return Object.fromEntries(
    Object.entries(pipeline.placement).map(([stage, { provider, precision }]) => [
      stage,
      `${provider}/${precision}`,
    ]),
  );
}
