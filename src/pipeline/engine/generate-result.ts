/**
 * What one image's generation reports, apart from the pipeline so that this type (and the Node entry's
 * declarations built on it) imports nothing: no ONNX Runtime, DOM or WebGPU types.
 */

/** Where the pipeline keeps its tensors between stages. */
export type TensorResidency = 'gpu' | 'cpu';

/**
 * How the stage sessions live: 'resident' keeps every stage loaded; 'low' loads one stage at a time and
 * releases it after use, so only the largest stage must fit, at the cost of reloading the stages per image.
 */
export type MemoryMode = 'resident' | 'low';
/** 'auto': 'low' only where the stages together would not fit in the device's memory. */
export type MemoryPreference = 'auto' | MemoryMode;

/** Stage sessions created and released while making one image (low-memory mode; 0 when resident). */
export interface StageSessionChurn {
  created: number;
  released: number;
  /** Reading the stages from the store and creating their sessions. */
  loadMs: number;
}

/** The stages of one image, in the order they run (the VAE encoder only for image to image). */
export type GenerationStage = 'text-encoder' | 'vae-encoder' | 'unet' | 'vae-decoder';

/** The stage that has just started. */
export interface GenerationProgress {
  stage: GenerationStage;
  /**
   * The UNet step now running, 1 to `steps`; 0 before the UNet (text encoder, VAE encoder), and `steps`
   * once every step has run (VAE decoder).
   */
  step: number;
  /** UNet steps this image runs: `steps`, or floor(steps x strength) for image to image. */
  steps: number;
}

export interface StageTimings {
  totalMs: number;
  tokenizeMs: number;
  textEncoderMs: number;
  unetMs: number[];
  vaeMs: number;
  /** Image to image only: resizing the source picture, its upload and the VAE encoder. */
  vaeEncoderMs?: number;
  pixelsMs: number;
  /** Total minus the model stages: tokenizing, noise, scheduler math, pixels, and waiting. */
  overheadMs: number;
}

export interface GenerateResult {
  /** RGBA8, row-major, width*height*4 bytes; absent when drawn to a canvas. */
  pixels?: Uint8ClampedArray;
  width: number;
  height: number;
  prompt: string;
  seed: number;
  /** Steps of the full schedule asked for; image to image runs floor(steps * strength) of them. */
  steps: number;
  /** Image to image only: the strength used. */
  strength?: number;
  /** True when the prompt was longer than the text encoder takes and was cut. */
  truncated: boolean;
  timings: StageTimings;
  /** GPU-to-CPU read-backs during this image (all of ORT's included). */
  readbacks: number;
  readbackBytes: number;
  /** GPU buffers created during this image (all of ORT's included), upload staging apart. */
  gpuBuffersCreated: number;
  /** Mapped staging buffers ORT made to upload CPU inputs (the timestep each step). */
  uploadStagingBuffers: number;
  stageSessions: StageSessionChurn;
}
