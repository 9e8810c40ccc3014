/**
 * What the benchmark's three parts pass each other: the Node runner (run-bench.ts) puts a BenchConfig in
 * the page's URL, the page (bench-page.ts) hands it to its Worker (bench-worker.ts), and the page's
 * `window.benchOutcome` resolves with a PageOutcome that Playwright carries back to Node.
 */
import type { ProviderChoice, StageTimings, TensorResidency } from '../src/pipeline/index.js';
import type { GpuCallCounts } from './gpu-calls.js';

export type OptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface BenchConfig {
  /** 'prepare' stores the weights in IndexedDB; 'run' loads them from there and times images. */
  mode: 'prepare' | 'run';
  /** Absolute URL of model-manifest.json. */
  manifestUrl: string;
  modelId: string;
  /** Fetch the weights from here instead of the manifest's baseUrl (a `npm run models:pull` folder). */
  mirrorBaseUrl?: string;
  /**
   * 'webnn' goes through the pipeline's WebNN provider; 'webgl' is no pipeline provider: the worker tries
   * ORT's WebGL EP (the default onnxruntime-web build) on each stage and reports its exact failure.
   */
  provider: 'webgpu' | 'wasm' | 'webnn' | 'webgl';
  /**
   * One pipeline per variant, all loaded in the same Worker on the same device. With several, images
   * alternate between them (ABBA order), so that the drifts of a shared, noisy machine fall on all alike
   * and the ratios compare like with like.
   */
  variants: Variant[];
  images: number;
  /** Warm-up images: at least this many... */
  warmups: number;
  /**
   * ...and for at least this long. ORT's wasm is compiled in tiers: its optimized code arrives seconds
   * after the first run, so a count alone can leave a fast model measured on baseline code.
   */
  warmupSeconds: number;
  steps: number;
  prompt: string;
  /** ORT's enableGraphCapture for every session. */
  enableGraphCapture: boolean;
  /** ort.env.wasm.numThreads; undefined keeps ORT's default (half the logical cores, at most 4). */
  wasmThreads?: number;
  /**
   * Images per pipeline after the counted ones with a CPU mark at every stage's start (the worker waits
   * while Node reads the processes' CPU times, so these images' own timings are not counted).
   */
  hostImages: number;
}

/** What may differ between the pipelines of one run. */
export interface Variant {
  /** Names it in the output, e.g. 'io gpu' or 'opt-level basic'. */
  label: string;
  residency: TensorResidency;
  /** Replaces every stage's level from the manifest; undefined keeps the manifest's (ORT's 'all'). */
  graphOptimizationLevel?: OptimizationLevel;
  /** false drops the manifest's freeDimensionOverrides, so ORT sees the graphs' symbolic dimensions. */
  freeDimensionOverrides: boolean;
  /** ORT's enableGraphCapture for this pipeline's sessions (`--compare graph-capture`). */
  enableGraphCapture: boolean;
}

/** One generated image: the pipeline's own figures, pixels left out. */
export interface ImageRecord {
  /** Which of `BenchConfig.variants` made it. */
  pipeline: number;
  /** Position in the run, the same for every pipeline: warm-ups first, then counted images. */
  index: number;
  warmup: boolean;
  /** 1-based count among the warm-ups, or among the counted images. */
  ordinal: number;
  seed: number;
  timings: StageTimings;
  readbacks: number;
  readbackBytes: number;
  gpuBuffersCreated: number;
  uploadStagingBuffers: number;
  /** Compute dispatches and queue submits issued from the worker during this image. */
  gpuCalls: GpuCallCounts;
}

/** One stage of a host-pass image: from its start to the next stage's start. */
export interface HostSegment extends GpuCallCounts {
  /** 'tokenize', 'text encoder', 'unet step 1', ..., 'vae decoder + pixels'. */
  label: string;
}

export interface HostImage {
  pipeline: number;
  segments: HostSegment[];
}

/** Milliseconds since the page's navigation started (performance.timeOrigin), as the page saw them. */
export interface ColdStartMarks {
  /** The bench page's module began to run. */
  scriptStartMs: number;
  /** The worker answered that every pipeline's sessions exist. */
  loadedMs: number;
  /** The first image (the first warm-up) arrived. */
  firstImageMs: number;
}

export interface LoadFigures {
  provider: ProviderChoice;
  residency: TensorResidency;
  /** Reading the three stage files out of IndexedDB. */
  readWeightsMs: number;
  /** From the start of the worker's load to the pipeline being ready, weights reading included. */
  loadMs: number;
  wasmThreads: number;
}

export interface PrepareOutcome {
  mode: 'prepare';
  bytesStored: number;
  complete: boolean;
  ms: number;
}

export interface RunOutcome {
  mode: 'run';
  /** One per variant, in order. */
  loads: LoadFigures[];
  images: ImageRecord[];
  coldStart: ColdStartMarks;
  /** The host pass's images (BenchConfig.hostImages per pipeline). */
  hostImages: HostImage[];
  /** Why there is no host pass, when it was asked for and could not run. */
  hostPassError?: string;
  /** performance.measureUserAgentSpecificMemory() after the last image (page and its workers), if available. */
  userAgentMemoryBytes?: number;
  userAgentMemoryError?: string;
}

export interface FailedOutcome {
  mode: 'failed';
  /** Where it failed: storing the weights, loading the sessions, or making an image. */
  phase: 'prepare' | 'load' | 'generate';
  error: { name: string; message: string; code?: string };
  /** Images made before the failure. */
  images: ImageRecord[];
}

export type PageOutcome = PrepareOutcome | RunOutcome | FailedOutcome;

/** Worker -> page messages. */
export type WorkerMessage =
  | { type: 'prepared'; outcome: PrepareOutcome }
  | { type: 'loaded'; load: LoadFigures }
  | { type: 'image'; record: ImageRecord }
  | { type: 'host-image'; image: HostImage }
  /** The worker waits (Atomics.wait on `signal`) until the page sets it to 1 after Node took the mark. */
  | { type: 'cpu-mark'; label: string; signal: SharedArrayBuffer }
  | { type: 'host-pass-skipped'; reason: string }
  | { type: 'done' }
  | { type: 'failed'; phase: FailedOutcome['phase']; error: FailedOutcome['error'] };

export const BENCH_CONFIG_PARAM = 'config';
/** The function Node exposes to the page: it reads the browser processes' CPU times under a label. */
export const CPU_MARK_FUNCTION = 'benchCpuMark';
/** The label of the mark that ends the segment before it. */
export const END_MARK = 'end';
/** The mark before the first counted image; END_MARK follows the last. */
export const COUNTED_MARK = 'counted images';
