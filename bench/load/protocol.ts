/**
 * What the load benchmark's parts pass each other: the Node runner (run.ts) puts a LoadBenchConfig in the
 * page's URL, the page hands it to its Worker (worker.ts), and the Worker's phase marks and final figures
 * come back through the page's console and `window.loadOutcome`.
 */
export interface LoadBenchConfig {
  manifestUrl: string;
  modelId: string;
  /** The loopback file server holding the model's files. */
  mirrorBaseUrl: string;
  provider: 'webgpu' | 'wasm';
  /** The pipeline's memory mode: 'low' loads one stage at a time, per image. */
  memory: 'auto' | 'resident' | 'low';
  /** Make the first image after load, then a second one (steady state). */
  images: boolean;
  /**
   * 'cold': download, then load (one page). 'store': only download (the first page of a warm start).
   * 'warm': the model is stored; load it as a second page load does (no download).
   */
  mode: 'cold' | 'store' | 'warm';
  /** 'wasm': the text encoder on wasm beside WebGPU (the pipeline's textEncoderProvider). */
  textEncoder: 'same' | 'wasm';
  /** Instead of images: the text encoder alone, on one prompt, TEXT_ENCODER_RUNS times after load. */
  textEncoderOnly: boolean;
  /** Warm start only: check every stage's digest before its session, as loads did before (the comparison). */
  verifyFirst: boolean;
  /** The image size to load the model for (its manifest's `sizes`); absent: the model's own. */
  size?: { width: number; height: number };
  /** Low-memory mode: the UNet in this many parts (the pipeline's unetParts); absent: its default. */
  unetParts?: number;
}

export const TEXT_ENCODER_RUNS = 4;

/** One stage of a warm start: reading its bytes (overlapping the previous session) and creating its session. */
export interface StageLoadTiming {
  stage: string;
  readMs: number;
  sessionMs: number;
}

/** The phases the runner attributes memory to; the Worker logs `[load-bench] phase <name>` at each start. */
export const LOAD_PHASES = ['download', 'load', 'images'] as const;
export type LoadPhase = (typeof LOAD_PHASES)[number];
export const PHASE_MARK = '[load-bench] phase ';
/** Logged as each stage of an image starts, so that a run cut off by --timeout says how far it got. */
export const STAGE_MARK = '[load-bench] stage ';
/** Logged as the pipeline's count of created or released stage sessions changes (--trace places samples by it). */
export const SESSION_MARK = '[load-bench] sessions ';

export interface LoadPageOutcome {
  ok: boolean;
  error: string | null;
  provider: string | null;
  bytesDownloaded: number;
  downloadMs: number | null;
  /** From the start of reading the first stored file to every stage's session existing. */
  loadMs: number | null;
  /** Reading the stage files out of IndexedDB, part of loadMs. */
  readWeightsMs: number | null;
  /** The largest WebAssembly.Memory ORT made in the Worker, after every session exists. */
  wasmHeapBytesAfterLoad: number | null;
  /** The first image after load: pays shader compilation and first-run allocation. */
  firstImageMs: number | null;
  /** The second image: the steady state a user sees after the warm-up. */
  steadyImageMs: number | null;
  imageSkipped: string | null;
  /** Warm start: from the first read to every session existing (the pipeline takes requests). */
  readyMs: number | null;
  stages: StageLoadTiming[];
  /** Warm start: from the first read until every stage's digest is known (after readyMs unless verifyFirst). */
  verifyMs: number | null;
  /** The warm-up image the app makes before it says "ready" (null with --no-image). */
  warmupMs: number | null;
  /** Where each stage ran, as `provider/precision` (the pipeline's placement). */
  placement: Record<string, string> | null;
  /** With textEncoderOnly: each run's text encoder milliseconds (the first pays for its first run). */
  textEncoderMs: number[] | null;
  /** The memory mode the pipeline chose. */
  memory: string | null;
  /** The second image's stage sessions created and released, and the ms spent loading them. */
  steadyImageStageSessions: { created: number; released: number; loadMs: number } | null;
}
