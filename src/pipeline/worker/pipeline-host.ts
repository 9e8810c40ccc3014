/**
 * What the pipeline Worker holds and does: the weight store, the catalog, the loaded pipeline and the
 * device's capabilities (probed once), and a handler per request. pipeline-worker.ts only dispatches.
 */
import * as ort from 'onnxruntime-web/webgpu';
import {
  IdbChunkStore,
  downloadModel,
  getModelStorageStatus,
  loadModelFile,
  loadModelFileVerifyingBeside,
  streamModelFile,
  streamModelFileVerifyingBeside,
} from '../storage/index.js';
import {
  checkRequirements,
  probeDevice,
  requirementError,
  type DeviceCapabilities,
} from '../runtime/device-requirements.js';
import { PipelineError } from '../errors.js';
import type {
  GenerateResult,
  ImageProgress,
  LoadedModel,
  ModelProgress,
  ProviderPreference,
  StoredModel,
  WebNnDeviceType,
} from '../types.js';
import { isLocalModelId, LocalModelRegistry } from '../storage/local-files/index.js';
import type { ModelEntry } from '../model/manifest-types.js';
import { defaultImageSize, sizedModelEntry, type ImageSize } from '../model/sized-model-entry.js';
import { ModelCatalog } from './model-catalog.js';
import { TextToImagePipeline, type PipelineOptions } from '../engine/text-to-image-pipeline.js';
import { preloadTokenizer } from '../text/tokenizer.js';
import { probeWebNn, type WebNnCapabilities } from '../runtime/webnn.js';
import {
  serializeError,
  type ImageResult,
  type ModelCorruptNotice,
  type ModelSource,
  type RequestMessage,
} from './worker-protocol.js';

export const store = new IdbChunkStore();
export const registry = new LocalModelRegistry();
export const catalog = new ModelCatalog(store, registry);
type LoadRequest = Extract<RequestMessage, { kind: 'load' }>;
interface Loaded {
  key: string;
  /** The manifest's entry, at its default size. */
  model: ModelEntry;
  request: LoadRequest;
  /** At the size of the latest image (pipelineAtSize). */
  pipeline: TextToImagePipeline;
  info: LoadedModel;
}
let loaded: Loaded | undefined;
/** Images are made one at a time; requests from several elements wait their turn. */
let generationQueue: Promise<unknown> = Promise.resolve();
let outputCanvas: OffscreenCanvas | undefined;
/** This worker's adapter does not change; a lost device means a fresh worker. */
let device: Promise<DeviceCapabilities> | undefined;
/** WebNN's answer per device type, asked on demand: creating an MLContext is not free where WebNN exists. */
const webnnProbes = new Map<WebNnDeviceType, Promise<WebNnCapabilities>>();

export type Reporter = (progress: ModelProgress) => void;
export type ImageReporter = (progress: ImageProgress) => void;
export type CorruptNotifier = (notice: ModelCorruptNotice) => void;

export function modelFor(source: ModelSource): Promise<ModelEntry> {
  return catalog.model(source);
}

/** The adapter and memory, and with a device type WebNN's answer for it, probed here where ORT runs. */
export async function deviceCapabilities(webnnDeviceType?: WebNnDeviceType): Promise<DeviceCapabilities> {
  device ??= probeDevice();
  if (!webnnDeviceType) return device;
  let webnn = webnnProbes.get(webnnDeviceType);
  if (!webnn) {
    webnn = probeWebNn(webnnDeviceType);
    webnnProbes.set(webnnDeviceType, webnn);
  }
  return { ...(await device), webnn: await webnn };
}

/** Refuses, before any request to the model's URLs, a model this device cannot run with `provider`. */
async function refuseUnrunnable(
  model: ModelEntry,
  provider: ProviderPreference,
  webnnDeviceType: WebNnDeviceType = 'gpu',
): Promise<void> {
  const capabilities = await deviceCapabilities(provider === 'webnn' ? webnnDeviceType : undefined);
  const refusal = requirementError(checkRequirements(model, capabilities), provider);
  if (refusal) throw refusal;
}

export async function download(
  model: ModelEntry,
  source: ModelSource,
  provider: ProviderPreference,
  webnnDeviceType: WebNnDeviceType | undefined,
  signal: AbortSignal,
  report: Reporter,
): Promise<StoredModel> {
  await refuseUnrunnable(model, provider, webnnDeviceType);
  if (isLocalModelId(model.id)) return catalog.localModelStored(model);
  // Retries and restarts arrive as the progress note.
  await downloadModel(model, {
    store,
    manifestUrl: source.manifestUrl,
    mirrorBaseUrl: source.mirrorBaseUrl,
    signal,
    onProgress: report,
  });
  return getModelStorageStatus(model, store);
}

export async function load(
  request: Extract<RequestMessage, { kind: 'load' }>,
  signal: AbortSignal,
  report: Reporter,
  notifyCorrupt: CorruptNotifier,
): Promise<LoadedModel> {
  const { provider, webnnDeviceType } = request;
  const key = JSON.stringify([
    request.source,
    provider,
    provider === 'webnn' ? webnnDeviceType : '',
    request.residency,
    request.memory ?? 'auto',
    request.textEncoderProvider ?? 'same',
  ]);
  if (loaded?.key === key) return loaded.info;
  const tokenizerReady = preloadTokenizer();
  const model = await modelFor(request.source);
  const stored = await download(model, request.source, provider, webnnDeviceType, signal, report);
  await generationQueue;
  await loaded?.pipeline.dispose();
  loaded = undefined;
  const started = performance.now();
  report({ ...emptyProgress(model.id, stored), phase: 'loading' });
  // The digests were settled at download: a warm start checks them again only once the model is ready (or
  // has failed), from the chunks read back, so the hash takes no CPU from reading and creating the sessions.
  const verifications: Promise<void>[] = [];
  let allowReadBack!: () => void;
  const readBackAfter = new Promise<void>((resolve) => (allowReadBack = resolve));
  /** Set once ready: low-memory mode reads stages again for each image, and each of those reads is watched. */
  let watch: ((verified: Promise<void>) => void) | undefined;
  const track = (verified: Promise<void>) => {
    // Heard once the model is ready (watchVerification), or when the load fails.
    verified.catch(() => undefined);
    if (watch) watch(verified);
    else verifications.push(verified);
  };
  const pipeline = await createPipeline(model, request, {
    loadStage: async (stage) => {
      const read = await loadModelFileVerifyingBeside(model, stage, store, readBackAfter);
      track(read.verified);
      return read.bytes;
    },
    // A widened stage streams from the store as it is widened, its digest checked as loadStage's is.
    streamStage: (stage) => streamModelFileVerifyingBeside(model, stage, store, readBackAfter, track),
  }).catch(async (error: unknown) => {
    allowReadBack();
    // Bytes that fail their digest are the better reason for a session that could not be made of them.
    throw (await corruption(verifications)) ?? error;
  });
  await tokenizerReady;
  const warmupMs = await pipeline.warmUp();
  const info: LoadedModel = {
    modelId: model.id,
    provider: pipeline.provider,
    residency: pipeline.residency,
    width: model.image.width,
    height: model.image.height,
    loadMs: performance.now() - started,
    warmupMs,
    precision: pipeline.precision,
    placement: pipeline.placement,
    memory: pipeline.memory,
    memoryReason: pipeline.memoryReason,
    maxBatch: pipeline.maxBatch,
  };
  const entry: Loaded = { key, model, request, pipeline, info };
  loaded = entry;
  // A task later, once the load's answer is posted: the page hears "ready" before any corrupt notice.
  setTimeout(() => {
    allowReadBack();
    void watchVerification(entry, verifications, notifyCorrupt);
    watch = (verified) => void watchVerification(entry, [verified], notifyCorrupt);
  }, 0);
  return info;
}

/** The first 'corrupt' failure among the digests checked, once all are known. */
async function corruption(verifications: Promise<void>[]): Promise<PipelineError | undefined> {
  for (const result of await Promise.allSettled(verifications)) {
    if (
      result.status === 'rejected' &&
      result.reason instanceof PipelineError &&
      result.reason.code === 'corrupt'
    )
      return result.reason;
  }
  return undefined;
}

/** Loads whose corrupt bytes the page has been told of: once each, however many reads fail. */
const toldCorrupt = new WeakSet<Loaded>();

/**
 * A model made ready before its digests were checked: if one fails, the file is already marked corrupt in
 * the store; the pipeline is dropped (after the image being made) and the page is told.
 */
async function watchVerification(
  entry: Loaded,
  verifications: Promise<void>[],
  notifyCorrupt: CorruptNotifier,
): Promise<void> {
  const error = await corruption(verifications);
  if (!error || toldCorrupt.has(entry)) return;
  toldCorrupt.add(entry);
  if (loaded === entry) {
    loaded = undefined;
    await generationQueue;
    // After the queue: a size change may have replaced the pipeline meanwhile.
    await entry.pipeline.dispose();
  }
  // The model was ready, so images may have been made of the changed bytes: the person is told about those too.
  const notice = new PipelineError(
    'corrupt',
    `${error.message} Images made with this model since it was loaded came from these bytes and may be wrong.`,
    { cause: error },
  );
  notifyCorrupt({ type: 'model-corrupt', modelId: entry.model.id, error: serializeError(notice) });
}

type StageReaders = Pick<PipelineOptions, 'loadStage' | 'streamStage'>;

/**
 * Sessions for `model` (the manifest's entry, or it at another size) from the stored files; by default
 * each file's digest is checked as it is read (a size change, after the warm start's check).
 */
async function createPipeline(
  model: ModelEntry,
  request: LoadRequest,
  readers: StageReaders = {
    loadStage: (stage) => loadModelFile(model, stage, store),
    streamStage: (stage) => streamModelFile(model, stage, store),
  },
): Promise<TextToImagePipeline> {
  const { provider, webnnDeviceType } = request;
  return TextToImagePipeline.create(model, {
    provider,
    webnnDeviceType,
    // The capabilities refuseUnrunnable checked: the device is probed once per worker.
    device: await deviceCapabilities(provider === 'webnn' ? (webnnDeviceType ?? 'gpu') : undefined),
    residency: request.residency,
    memory: request.memory,
    textEncoderProvider: request.textEncoderProvider,
    ...readers,
  });
}

/**
 * The loaded pipeline at the requested size (the model's default where none is asked for): a size the
 * model does not declare, or this device cannot hold, is refused before the sessions are touched; another
 * size reloads the sessions from the stored files, kept until the size changes again. Without shader
 * warm-up: the first image at a new size pays for it.
 */
async function pipelineAtSize(current: Loaded, size: Partial<ImageSize>): Promise<TextToImagePipeline> {
  const wanted = { ...defaultImageSize(current.model), ...definedSides(size) };
  const { image } = current.pipeline.model;
  if (wanted.width === image.width && wanted.height === image.height) return current.pipeline;
  const sized = sizedModelEntry(current.model, wanted);
  await refuseUnrunnable(sized, current.request.provider, current.request.webnnDeviceType);
  const previous = current.pipeline.model;
  await current.pipeline.dispose();
  try {
    current.pipeline = await createPipeline(sized, current.request);
  } catch (error) {
    // The size that worked before stays usable; only if that fails too is nothing loaded.
    try {
      current.pipeline = await createPipeline(previous, current.request);
    } catch {
      loaded = undefined;
    }
    throw error;
  }
  return current.pipeline;
}

function definedSides(size: Partial<ImageSize>): Partial<ImageSize> {
  return Object.fromEntries(Object.entries(size).filter(([, value]) => value !== undefined));
}

function emptyProgress(modelId: string, stored: StoredModel): ModelProgress {
  return {
    modelId,
    phase: 'done',
    bytesDone: stored.bytesStored,
    bytesTotal: stored.bytesTotal,
    bytesPerSecond: 0,
    etaSeconds: undefined,
    files: [],
  };
}

async function pixelsToBitmap(pixels: Uint8ClampedArray<ArrayBuffer>, width: number, height: number) {
  return createImageBitmap(new ImageData(pixels, width, height));
}

async function generate(
  request: Extract<RequestMessage, { kind: 'generate' }>,
  signal: AbortSignal,
  reportImage: ImageReporter,
): Promise<ImageResult> {
  const current = loaded;
  if (!current) {
    if (!(request.sourceImage instanceof Blob)) request.sourceImage?.close();
    throw new Error('No model is loaded: call load() first.');
  }
  const { info } = current;
  let pipeline: TextToImagePipeline;
  try {
    pipeline = await pipelineAtSize(current, { width: request.width, height: request.height });
  } catch (error) {
    if (!(request.sourceImage instanceof Blob)) request.sourceImage?.close();
    throw error;
  }
  const drawOnGpu = pipeline.canDrawToCanvas;
  if (drawOnGpu) outputCanvas ??= new OffscreenCanvas(info.width, info.height);
  const sourceImage =
    request.sourceImage instanceof Blob ? await decodePicture(request.sourceImage) : request.sourceImage;
  let result: GenerateResult;
  try {
    result = await pipeline.generate({
      prompt: request.prompt,
      seed: request.seed,
      steps: request.steps,
      signal,
      canvas: drawOnGpu ? outputCanvas : undefined,
      onProgress: (progress) => reportImage({ ...progress, modelId: info.modelId, phase: 'generating' }),
      ...(sourceImage === undefined ? {} : { sourceImage }),
      ...(request.strength === undefined ? {} : { strength: request.strength }),
    });
  } finally {
    // The bitmap was transferred (or decoded) for this image alone.
    sourceImage?.close();
  }
  const drawn = drawOnGpu && outputCanvas ? outputCanvas.transferToImageBitmap() : undefined;
  return toImageResult(result, info, drawn);
}

/** The pipeline's figures with the image as a bitmap (the one drawn on the GPU, or made from the pixels). */
async function toImageResult(
  { pixels, ...figures }: GenerateResult,
  info: LoadedModel,
  drawn?: ImageBitmap,
): Promise<ImageResult> {
  const bitmap =
    drawn ?? (await pixelsToBitmap(pixels as Uint8ClampedArray<ArrayBuffer>, figures.width, figures.height));
  return { ...figures, bitmap, modelId: info.modelId, provider: info.provider.provider };
}

async function decodePicture(blob: Blob): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(blob);
  } catch (error) {
    throw new PipelineError(
      'invalid-input',
      `The source image (${blob.type || 'unknown type'}, ${blob.size} bytes) could not be decoded as a picture.`,
      { cause: error },
    );
  }
}

async function generateBatch(
  request: Extract<RequestMessage, { kind: 'generate-batch' }>,
  signal: AbortSignal,
): Promise<ImageResult[]> {
  if (!loaded) throw new PipelineError('not-loaded', 'No model is loaded: call load() first.');
  const { info } = loaded;
  // A batch in one pass is at the model's own size, the one `maxBatch` was worked out for.
  const pipeline = await pipelineAtSize(loaded, {});
  const results = await pipeline.generateBatch({ ...request, steps: request.steps ?? 1, signal });
  return Promise.all(results.map((result) => toImageResult(result, info)));
}

/** Images are made one request at a time, single or batched, in the order asked. */
function enqueue<T>(make: () => Promise<T>): Promise<T> {
  const turn = generationQueue.then(make);
  generationQueue = turn.catch(() => undefined);
  return turn;
}

export function enqueueBatch(
  request: Extract<RequestMessage, { kind: 'generate-batch' }>,
  signal: AbortSignal,
): Promise<ImageResult[]> {
  return enqueue(() => generateBatch(request, signal));
}

export function enqueueGeneration(
  request: Extract<RequestMessage, { kind: 'generate' }>,
  signal: AbortSignal,
  reportImage: ImageReporter,
): Promise<ImageResult> {
  return enqueue(() => generate(request, signal, reportImage));
}

export async function simulateDeviceLoss(): Promise<null> {
  if (loaded?.info.provider.provider !== 'webgpu') throw new Error('No WebGPU model is loaded.');
  (await ort.env.webgpu.device).destroy();
  return null;
}
