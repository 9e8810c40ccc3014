/**
 * The pipeline's data as `<sd-turbo>`'s public types show it (event details, property values): the
 * components' second face of the pipeline, types only, beside src/pipeline/index.ts. This module imports
 * only modules that import nothing, so the element's declarations in the npm package reach no ONNX
 * Runtime, Lit or worker internals: a page that installs only `sd-turbo-web` type-checks.
 */
import type { DownloadProgress } from './storage/progress.js';
import type { GenerationProgress, MemoryMode, TensorResidency } from './engine/generate-result.js';
import type { WeightPrecision } from './model/manifest-types.js';

export type { PipelineErrorCode } from './errors.js';
export type { WeightPrecision } from './model/manifest-types.js';
export type {
  GenerateResult,
  GenerationProgress,
  GenerationStage,
  MemoryMode,
  MemoryPreference,
  StageSessionChurn,
  StageTimings,
  TensorResidency,
} from './engine/generate-result.js';

/** 'auto' picks WebGPU, else wasm; WebNN only when asked for (its operator coverage varies by browser). */
export type ProviderPreference = 'auto' | 'webgpu' | 'wasm' | 'webnn';
/** ORT execution providers the pipeline runs on; 'cpu' is onnxruntime-node's (Node only, see src/node). */
export type ExecutionProvider = 'webgpu' | 'wasm' | 'webnn' | 'cpu';

/** MLContextOptions.deviceType. */
export type WebNnDeviceType = 'cpu' | 'gpu' | 'npu';

/** What the pipeline will run on, and why: shown to the user, so it is worded for people. */
export interface ProviderChoice {
  provider: ExecutionProvider;
  /** Why this provider was chosen; for a fallback, why WebGPU could not be used. */
  reason: string;
  /** True when 'auto' wanted WebGPU but had to fall back to wasm. */
  fellBack: boolean;
  adapterDescription?: string;
  shaderF16: boolean;
  /**
   * A CPU implementation of WebGPU (SwiftShader). Its canvas support is broken in headless Chromium: a
   * WebGPU canvas there destroys every device of the page, so images are read back instead of drawn.
   */
  softwareAdapter: boolean;
  /** For 'webnn': the MLContext device type the sessions use. */
  webnnDeviceType?: WebNnDeviceType;
  /**
   * The precision the weights run in; 'fp32-widened': FP16 weights widened to FP32 as they load, on a
   * WebGPU adapter without `shader-f16` (twice the GPU memory). Absent: as stored.
   */
  precision?: WeightPrecision;
  /** WebGPU: the adapter's buffer limits, which every widened tensor must fit. */
  adapterLimits?: { maxStorageBufferBindingSize: number; maxBufferSize: number };
}

/**
 * Where the text encoder runs: 'same' as the other stages, or 'wasm' beside WebGPU (its weights as stored,
 * never widened).
 */
export type TextEncoderPlacement = 'same' | 'wasm';

/** Where one stage's session runs, and the precision of its weights there. */
export interface StageProvider {
  provider: ExecutionProvider;
  precision: WeightPrecision;
}

/**
 * Where each text-to-image stage runs: all on the pipeline's provider, or on WebGPU the text encoder on
 * wasm with its stored weights (the `textEncoderProvider: 'wasm'` load option).
 */
export interface StagePlacement {
  textEncoder: StageProvider;
  unet: StageProvider;
  vaeDecoder: StageProvider;
}

/** Download (and then loading) progress for a whole model, suitable for progress bars. */
export type ModelProgress = Omit<DownloadProgress, 'phase'> & {
  phase: DownloadProgress['phase'] | 'loading';
  /**
   * The answer to navigator.storage.persist(), asked from the page when a download or load starts
   * (Workers cannot ask): false means the browser may evict the weights under storage pressure. Absent
   * until the browser answers, or where it cannot be asked.
   */
  storagePersisted?: boolean;
};

/** The image being made: the stage that has just started ('unet': step `step` of `steps`). */
export type ImageProgress = GenerationProgress & { modelId: string; phase: 'generating' };

export interface LoadedModel {
  modelId: string;
  provider: ProviderChoice;
  residency: TensorResidency;
  width: number;
  height: number;
  /** Reading the weights and creating the three sessions, the warm-up image included. */
  loadMs: number;
  /** The warm-up image made after loading: shader compilation and first-run allocations, paid once. */
  warmupMs: number;
  /** 'fp32-widened': FP16 weights widened to FP32 at load (WebGPU without shader-f16): twice the memory. */
  precision: WeightPrecision;
  /** Where each stage runs (the text encoder may run on wasm beside WebGPU). */
  placement: StagePlacement;
  /** 'low': one stage loaded at a time and released after use, reloaded for every image. */
  memory: MemoryMode;
  /** Why this memory mode, worded for people. */
  memoryReason: string;
  /**
   * The most images `generateBatch` makes in one pass (wasm, where the graphs take any batch and the heap
   * holds them); 1: images are made one after another.
   */
  maxBatch: number;
}

/** How much of a model this browser has stored. */
export interface StoredModel {
  modelId: string;
  bytesStored: number;
  /** Exact where known (stored or in the manifest), else the manifest's estimate. */
  bytesTotal: number;
  /** Every file is stored, complete, and its digest verified or recorded: the model loads without the network. */
  complete: boolean;
}
