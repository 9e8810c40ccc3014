/**
 * Messages between the page and the pipeline Worker. Every request carries an id; the worker answers
 * with exactly one `result` or `error` for it, and may send `progress` for it before that. The one
 * message without an id is the `model-corrupt` notice.
 */
import type { DeviceCapabilities } from '../runtime/device-requirements.js';
import { abortError, isAbortError, PipelineError, type PipelineErrorCode } from '../errors.js';
import type { GenerateResult, MemoryPreference, TensorResidency } from '../engine/generate-result.js';
import type { Manifest } from '../model/manifest-types.js';
import type { LocalModelFile, LocalModelImport } from '../storage/local-files/index.js';
import type {
  ImageProgress,
  LoadedModel,
  ModelProgress,
  ProviderChoice,
  ProviderPreference,
  StoredModel,
  TextEncoderPlacement,
  WebNnDeviceType,
} from '../types.js';

export interface TokenCount {
  tokenCount: number;
  maxTokens: number;
  truncated: boolean;
  keptText: string;
  droppedText: string;
}

/** What the pipeline reports for an image, with the image itself as a bitmap instead of pixels. */
export type ImageResult = Omit<GenerateResult, 'pixels'> & {
  /** The image, still GPU-backed where the browser allows; showing it needs no pixel read-back. */
  bitmap: ImageBitmap;
  modelId: string;
  provider: ProviderChoice['provider'];
};

/** A source picture as it crosses to the worker: a transferred ImageBitmap, or a Blob (PNG, JPEG...). */
export type WorkerSourceImage = ImageBitmap | Blob;

export interface ModelSource {
  manifestUrl: string;
  modelId: string;
  /** Replaces the manifest's baseUrl: a self-hosted copy made with `npm run models:pull`. */
  mirrorBaseUrl?: string;
}

export type WorkerRequest =
  | { kind: 'download'; source: ModelSource; provider: ProviderPreference; webnnDeviceType?: WebNnDeviceType }
  | {
      kind: 'load';
      source: ModelSource;
      provider: ProviderPreference;
      /** For provider 'webnn' (default 'gpu'). */
      webnnDeviceType?: WebNnDeviceType;
      residency?: TensorResidency;
      /** Default 'auto': low-memory mode only where the stages together would not fit. */
      memory?: MemoryPreference;
      /** 'wasm': on WebGPU, the text encoder on wasm with its stored weights (default 'same'). */
      textEncoderProvider?: TextEncoderPlacement;
    }
  | {
      kind: 'generate';
      prompt: string;
      seed: number;
      steps?: number;
      /** Image to image: a bitmap (transferred) or an encoded picture the worker decodes. */
      sourceImage?: WorkerSourceImage;
      strength?: number;
      /** The image size (default: the model's); another one reloads the sessions for it. */
      width?: number;
      height?: number;
    }
  /** Text to image for every seed in one pass (up to the loaded model's `maxBatch`). */
  | { kind: 'generate-batch'; prompt: string; seeds: number[]; steps?: number }
  | { kind: 'tokenize'; prompt: string; maxLength: number }
  /** With a WebNN device type: whether WebNN gives a context for it too (`webnn`). */
  | { kind: 'device-capabilities'; webnnDeviceType?: WebNnDeviceType }
  /** The manifest's models and the user's own: the worker's catalog answers, the page keeps no copy. */
  | { kind: 'manifest'; manifestUrl: string }
  | { kind: 'stored-models'; manifestUrl: string }
  | { kind: 'delete-model'; source: ModelSource }
  /** The user's own ONNX files (Blobs: the worker reads them, the page never does). */
  | { kind: 'import-local-model'; files: LocalModelFile[]; imageSize?: number; name?: string }
  | { kind: 'simulate-device-loss' }
  | { kind: 'cancel'; target: number };

export interface WorkerResults {
  download: StoredModel;
  load: LoadedModel;
  generate: ImageResult;
  'generate-batch': ImageResult[];
  tokenize: TokenCount;
  'device-capabilities': DeviceCapabilities;
  manifest: Manifest;
  'stored-models': StoredModel[];
  'delete-model': null;
  'import-local-model': LocalModelImport;
  'simulate-device-loss': null;
  cancel: null;
}

export type RequestMessage = WorkerRequest & { id: number };

export interface SerializedError {
  name: string;
  message: string;
  code?: PipelineErrorCode;
  /** Download failures: whether downloading again resumes past it (the element offers Resume only then). */
  resumable?: boolean;
}

export type ResponseMessage =
  | { id: number; type: 'result'; value: WorkerResults[keyof WorkerResults] }
  | { id: number; type: 'error'; error: SerializedError }
  | { id: number; type: 'progress'; progress: ModelProgress }
  | { id: number; type: 'image-progress'; progress: ImageProgress };

/**
 * What the worker says unasked: a loaded model whose stored bytes failed the digest checked after it was
 * ready (the error's code is 'corrupt'). The worker has dropped the model; its next load is refused.
 */
export interface ModelCorruptNotice {
  type: 'model-corrupt';
  modelId: string;
  error: SerializedError;
}

export type WorkerMessage = ResponseMessage | ModelCorruptNotice;

/** The worker's half of the error codec: what crosses postMessage (a plain object). */
export function serializeError(error: unknown): SerializedError {
  if (isAbortError(error)) return { name: 'AbortError', message: (error as DOMException).message };
  if (error instanceof Error) {
    const { code, resumable } = error as Error & Pick<SerializedError, 'code' | 'resumable'>;
    return {
      name: error.name,
      message: error.message,
      code,
      ...(resumable === undefined ? {} : { resumable }),
    };
  }
  return { name: 'Error', message: String(error) };
}

/** The page's half: the error as the caller would have seen it in the worker, code and name kept. */
export function reviveError(error: SerializedError): Error {
  if (error.name === 'AbortError') return abortError(error.message);
  if (error.code) {
    const revived = new PipelineError(error.code, error.message, { resumable: error.resumable });
    // Keeps subclasses recognisable by name across the worker boundary (e.g. NoImageEncoderError).
    revived.name = error.name;
    return revived;
  }
  const revived = new Error(error.message);
  revived.name = error.name;
  return revived;
}
