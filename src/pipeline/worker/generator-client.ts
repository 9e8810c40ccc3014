import {
  checkRequirements,
  type DeviceCapabilities,
  type RequirementCheck,
} from '../runtime/device-requirements.js';
import { persistStorage, reportingPersistence } from './storage-persistence.js';
import { abortError, PipelineError } from '../errors.js';
import type {
  ImageProgress,
  LoadedModel,
  ModelProgress,
  ProviderPreference,
  StoredModel,
  TextEncoderPlacement,
  MemoryPreference,
  TensorResidency,
  WebNnDeviceType,
} from '../types.js';
import type { LocalModelFile, LocalModelImport } from '../storage/local-files/index.js';
import { getModel } from '../model/manifest.js';
import type { Manifest } from '../model/manifest-types.js';
import {
  reviveError,
  type ImageResult,
  type ModelSource,
  type RequestMessage,
  type WorkerMessage,
  type TokenCount,
  type WorkerRequest,
  type WorkerResults,
} from './worker-protocol.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onProgress?: (progress: ModelProgress) => void;
  onImageProgress?: (progress: ImageProgress) => void;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Download and load progress (download, load). */
  onProgress?: (progress: ModelProgress) => void;
  /** generate: each stage of the image as it starts (text encoder, UNet step k of N, VAE decoder). */
  onImageProgress?: (progress: ImageProgress) => void;
}

/** What `GeneratorClient.generate` takes: GenerateRequest's fields that can cross to the worker. */
export interface ClientGenerateRequest {
  prompt: string;
  seed: number;
  /** Default 1 for text to image, 2 for image to image. */
  steps?: number;
  /** Image to image: the picture to start from (cropped to the model's aspect ratio, resized). */
  sourceImage?: ImageBitmap | ImageData | Blob;
  /** Image to image: in (0, 1], default 0.5; steps * strength must be at least 1. */
  strength?: number;
  /**
   * The image size, each side within the model's `sizes` (sizePresets gives the usual ones); default the
   * model's own. The worker reloads the sessions when the size changes: the first image at a size is slower.
   */
  width?: number;
  height?: number;
}

export interface DownloadOptions extends RequestOptions {
  /** The provider the weights are for: a model this device cannot run with it is refused first. */
  provider?: ProviderPreference;
  /** For provider 'webnn': the MLContext device type (default 'gpu'). */
  webnnDeviceType?: WebNnDeviceType;
  mirrorBaseUrl?: string;
}

export interface LoadOptions extends DownloadOptions {
  residency?: TensorResidency;
  /**
   * 'low': one stage loaded at a time and released after use (each image reloads the stages); 'auto'
   * (default): only where the stages together would not fit in this device's memory.
   */
  memory?: MemoryPreference;
  /**
   * 'wasm': on WebGPU, the text encoder runs on wasm with its weights as stored, the UNet and VAE on WebGPU
   * (LoadedModel.placement says where each stage runs). Default 'same'.
   */
  textEncoderProvider?: TextEncoderPlacement;
}

const clients = new Map<string, GeneratorClient>();

/**
 * The page's handle on the pipeline Worker. One per manifest URL per page, so several `<sd-turbo>`
 * elements share one worker and one loaded model. Emits 'device-lost', 'model-changed' and
 * 'model-corrupt' events; the last (a CustomEvent whose detail is `{ modelId, error }`, the error's code
 * 'corrupt') comes after a load was ready, when the stored bytes it was made of failed their digest: the
 * model is no longer loaded, and loading it again is refused until it is deleted and downloaded again.
 */
export class GeneratorClient extends EventTarget {
  private worker?: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private loading?: { key: string; modelId: string; promise: Promise<LoadedModel> };

  private constructor(readonly manifestUrl: string) {
    super();
  }

  static shared(manifestUrl: string): GeneratorClient {
    const absolute = new URL(manifestUrl, globalThis.location?.href).href;
    let client = clients.get(absolute);
    if (!client) {
      client = new GeneratorClient(absolute);
      clients.set(absolute, client);
    }
    return client;
  }

  /**
   * The manifest's models, then the models made of the user's own files (see importLocalModel), as the
   * worker's catalog holds them: the page asks rather than reading the manifest and the registry again.
   */
  manifest(): Promise<Manifest> {
    return this.request({ kind: 'manifest', manifestUrl: this.manifestUrl });
  }

  /** The model that is loaded, or being loaded, in the worker. */
  get loadedModel(): Promise<LoadedModel> | undefined {
    return this.loading?.promise;
  }

  storedModels(): Promise<StoredModel[]> {
    return this.request({ kind: 'stored-models', manifestUrl: this.manifestUrl });
  }

  /**
   * What this device's WebGPU adapter and memory offer, as the worker sees them; with a WebNN device type,
   * also whether `navigator.ml.createContext` gives one there (`webnn`, with the browser's error if not).
   */
  deviceCapabilities(options: { webnnDeviceType?: WebNnDeviceType } = {}): Promise<DeviceCapabilities> {
    return this.request({ kind: 'device-capabilities', webnnDeviceType: options.webnnDeviceType });
  }

  /**
   * Whether this device can run the model, per provider, with the reasons when not; downloads nothing.
   * WebNN is checked for `webnnDeviceType` when one is given.
   */
  async checkRequirements(
    modelId: string,
    options: { webnnDeviceType?: WebNnDeviceType } = {},
  ): Promise<RequirementCheck> {
    const [manifest, device] = await Promise.all([this.manifest(), this.deviceCapabilities(options)]);
    return checkRequirements(getModel(manifest, modelId), device);
  }

  /**
   * Asks the browser (once per page) not to evict stored weights; download() and load() ask too. Resolves
   * with its answer, or undefined where it cannot be asked.
   */
  requestPersistentStorage(): Promise<boolean | undefined> {
    return persistStorage();
  }

  /**
   * Downloads the weights (counts as consent). A model this device cannot run with `options.provider`
   * (default 'auto') is refused before any request to its URLs.
   */
  download(modelId: string, options: DownloadOptions = {}): Promise<StoredModel> {
    return this.request(
      {
        kind: 'download',
        source: this.source(modelId, options.mirrorBaseUrl),
        provider: options.provider ?? 'auto',
        webnnDeviceType: options.webnnDeviceType,
      },
      { ...options, onProgress: reportingPersistence(options.onProgress) },
    );
  }

  /**
   * Downloads the weights if they are not stored (counts as consent), then loads them into sessions;
   * concurrent calls for the same model share one load. A model this device cannot run with the
   * provider is refused before any request to its URLs ('unsupported-device', 'no-webgpu', 'no-shader-f16').
   */
  load(modelId: string, options: LoadOptions = {}): Promise<LoadedModel> {
    const provider = options.provider ?? 'auto';
    const webnnDeviceType = provider === 'webnn' ? (options.webnnDeviceType ?? 'gpu') : undefined;
    const key = JSON.stringify([
      modelId,
      provider,
      webnnDeviceType,
      options.residency,
      options.memory ?? 'auto',
      options.textEncoderProvider ?? 'same',
      options.mirrorBaseUrl,
    ]);
    if (this.loading?.key === key) return this.loading.promise;
    const promise = this.request<'load'>(
      {
        kind: 'load',
        source: this.source(modelId, options.mirrorBaseUrl),
        provider,
        webnnDeviceType,
        residency: options.residency,
        memory: options.memory,
        textEncoderProvider: options.textEncoderProvider,
      },
      { ...options, onProgress: reportingPersistence(options.onProgress) },
    );
    this.loading = { key, modelId, promise };
    promise.catch(() => {
      if (this.loading?.promise === promise) this.loading = undefined;
    });
    this.dispatchEvent(new Event('model-changed'));
    return promise;
  }

  /**
   * One image. With `sourceImage`, image to image (see GenerateRequest): an ImageBitmap is copied and the
   * copy transferred (the caller's stays usable, e.g. for the next edit), ImageData becomes a bitmap, and a
   * Blob (PNG, JPEG, WebP...) is decoded in the worker.
   */
  async generate(request: ClientGenerateRequest, options: RequestOptions = {}): Promise<ImageResult> {
    if (!this.loading) throw new PipelineError('not-loaded', 'No model is loaded: call load() first.');
    const { sourceImage, ...rest } = request;
    if (sourceImage === undefined) return this.request({ kind: 'generate', ...rest }, options);
    const sent = sourceImage instanceof Blob ? sourceImage : await createImageBitmap(sourceImage);
    return this.request(
      { kind: 'generate', ...rest, sourceImage: sent },
      { ...options, transfer: sent instanceof Blob ? [] : [sent] },
    );
  }

  /**
   * Text to image for every seed in one UNet and VAE decoder pass: at most the loaded model's `maxBatch`
   * seeds (wasm, where the graphs take any batch and the heap holds them). Each image equals the one
   * `generate` makes with its seed.
   */
  generateBatch(
    request: { prompt: string; seeds: number[]; steps?: number },
    options: RequestOptions = {},
  ): Promise<ImageResult[]> {
    if (!this.loading) throw new PipelineError('not-loaded', 'No model is loaded: call load() first.');
    return this.request({ kind: 'generate-batch', ...request }, options);
  }

  /**
   * Checks the user's own SD-Turbo ONNX files as one model (reading each file's graph, not its weights)
   * and stores them with the downloaded weights; the model is then in manifest() as `local-…`. Rejects
   * with a LocalFilesError (code 'model-io-mismatch') naming each file, input or output that does not
   * fit, or a QuotaError (code 'quota').
   */
  importLocalModel(
    files: LocalModelFile[],
    options: RequestOptions & { imageSize?: number; name?: string } = {},
  ): Promise<LocalModelImport> {
    const { imageSize, name } = options;
    return this.request(
      { kind: 'import-local-model', files, imageSize, name },
      { ...options, onProgress: reportingPersistence(options.onProgress) },
    );
  }

  tokenize(prompt: string, maxLength = 77): Promise<TokenCount> {
    return this.request({ kind: 'tokenize', prompt, maxLength });
  }

  /** Deletes a model's stored files; the model loaded from them is unloaded too: nothing generates with it. */
  async deleteModel(modelId: string): Promise<void> {
    await this.request({ kind: 'delete-model', source: this.source(modelId) });
    if (this.loading?.modelId !== modelId) return;
    this.loading = undefined;
    this.dispatchEvent(new Event('model-changed'));
  }

  /** Destroys the worker's GPU device, as a driver reset would: for testing recovery from device loss. */
  async simulateDeviceLoss(): Promise<void> {
    await this.request({ kind: 'simulate-device-loss' });
  }

  /** Ends the worker; the next request starts a fresh one (and a fresh GPU device). */
  reset(reason: Error = new PipelineError('not-loaded', 'The generator was reset.')): void {
    this.worker?.terminate();
    this.worker = undefined;
    this.loading = undefined;
    for (const pending of this.pending.values()) pending.reject(reason);
    this.pending.clear();
  }

  private source(modelId: string, mirrorBaseUrl?: string): ModelSource {
    return { manifestUrl: this.manifestUrl, modelId, mirrorBaseUrl };
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./pipeline-worker.ts', import.meta.url), {
      type: 'module',
      name: 'sd-turbo-pipeline',
    });
    worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => this.receive(event.data));
    worker.addEventListener('error', (event) => {
      this.reset(
        new PipelineError(
          'session-failed',
          `The pipeline worker failed: ${event.message || 'unknown error'}`,
        ),
      );
    });
    this.worker = worker;
    return worker;
  }

  private receive(message: WorkerMessage): void {
    if (message.type === 'model-corrupt') {
      this.loading = undefined;
      const detail = { modelId: message.modelId, error: reviveError(message.error) };
      this.dispatchEvent(new CustomEvent('model-corrupt', { detail }));
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'progress') {
      pending.onProgress?.(message.progress);
      return;
    }
    if (message.type === 'image-progress') {
      pending.onImageProgress?.(message.progress);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'result') {
      pending.resolve(message.value);
      return;
    }
    const error = reviveError(message.error);
    pending.reject(error);
    if (message.error.code === 'device-lost') {
      // ORT binds to one GPU device per worker, so recovery means a new worker: the next load() makes one.
      this.reset(error);
      this.dispatchEvent(new CustomEvent('device-lost', { detail: error }));
    }
  }

  private request<K extends WorkerRequest['kind']>(
    body: Extract<WorkerRequest, { kind: K }>,
    options: RequestOptions & { transfer?: Transferable[] } = {},
  ): Promise<WorkerResults[K]> {
    const { signal, onProgress, onImageProgress, transfer = [] } = options;
    if (signal?.aborted) {
      for (const item of transfer) if (item instanceof ImageBitmap) item.close();
      return Promise.reject(abortError());
    }
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<WorkerResults[K]>((resolve, reject) => {
      const onAbort = () =>
        worker.postMessage({ id: this.nextId++, kind: 'cancel', target: id } satisfies RequestMessage);
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (value) => {
          settle();
          resolve(value as WorkerResults[K]);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
        onProgress,
        onImageProgress,
      });
      worker.postMessage({ ...body, id } as RequestMessage, transfer);
    });
  }
}
