import { EulerTrailingScheduler, gaussianNoise } from '../../scheduler/index.js';
import { CpuStageRun } from './cpu-stage-run.js';
import { NoImageEncoderError, PipelineError, throwIfAborted } from '../errors.js';
import type {
  ExecutionProvider,
  ProviderChoice,
  ProviderPreference,
  StagePlacement,
  TextEncoderPlacement,
  WebNnDeviceType,
} from '../types.js';
import { chooseMemoryMode, type DeviceCapabilities } from '../runtime/device-requirements.js';
import { chooseExecutionProvider, chooseProviderFor } from '../runtime/execution-provider.js';
import { monitorGpuActivity, type GpuActivity } from './gpu-activity.js';
import { GpuStageRun } from './gpu-stage-run.js';
import { capturedModelEntry, graphCaptureRefusal } from './graph-capture.js';
import type { ModelEntry, WeightPrecision } from '../model/manifest-types.js';
import type { OrtRuntime } from '../runtime/ort-runtime.js';
import { ortWebRuntime } from '../runtime/ort-web-runtime.js';
import { sourcePixels, type SourceImage } from './source-image.js';
import type { StageRun } from './stage-run.js';
import type {
  GenerateResult,
  GenerationProgress,
  GenerationStage,
  MemoryMode,
  MemoryPreference,
  TensorResidency,
} from './generate-result.js';
import {
  LowMemorySessionPool,
  ResidentSessionPool,
  type SessionSettings,
  type StageLoader,
  type StageStreamer,
  type StageSessionPool,
  type StageTiming,
} from './sessions/index.js';
import {
  batchSizeOf,
  freeBatchModelEntry,
  generateBatch,
  wasmBatchLimit,
  type BatchRequest,
} from './batch-generate.js';
import { tokenizePrompt } from '../text/tokenizer.js';
import { widenedModelEntry } from '../model/widened-model-entry.js';

export interface PipelineOptions {
  provider?: ProviderPreference;
  /** For `provider: 'webnn'`: the MLContext device type (default 'gpu'). */
  webnnDeviceType?: WebNnDeviceType;
  /** Default 'gpu' on WebGPU; always 'cpu' on wasm. */
  residency?: TensorResidency;
  loadStage: StageLoader;
  /** Told as each stage's session exists: how long its bytes and its session took. */
  onStageLoaded?: (timing: StageTiming) => void;
  /**
   * Where a stage is widened to FP32 (WebGPU without `shader-f16`): its stored file chunk by chunk, so that
   * the FP16 file is never held whole beside its widened pieces. Absent: `loadStage`'s whole file is used.
   */
  streamStage?: StageStreamer;
  /**
   * ORT's WebGPU graph capture (see graph-capture.ts): each session's GPU commands are recorded on its
   * first run and replayed after. WebGPU with 'gpu' residency only; refused elsewhere, and on
   * onnxruntime-web up to 1.30 (which cannot replay with the pipeline's buffers), with the reason.
   * Default off.
   */
  enableGraphCapture?: boolean;
  /**
   * Another ONNX Runtime build with its provider already chosen (onnxruntime-node: see src/node); then
   * `provider` is ignored. Default: onnxruntime-web, with the provider picked from `provider` and the
   * browser's adapter.
   */
  runtime?: { ort: OrtRuntime; provider: ProviderChoice };
  /**
   * This device's capabilities, probed by the caller (the pipeline worker probes once); with a WebNN
   * provider, its `webnn` answer too. Absent: the pipeline probes the device itself.
   */
  device?: DeviceCapabilities;
  /**
   * 'low': one stage loaded at a time, read from `loadStage` when needed and released after use; 'auto'
   * (default) picks it only where the stages together would not fit in `device`'s memory.
   */
  memory?: MemoryPreference;
  /**
   * Low-memory mode only: how many parts the UNet runs in, one part's session at a time. Default: as many
   * as keep each part within half the largest other stage (lowMemoryUnetParts; 6 for SD-Turbo).
   */
  unetParts?: number;
  /**
   * 'wasm': a mixed placement for WebGPU, the text encoder on ORT's wasm EP with its weights as stored (FP16
   * stays FP16, not widened) while the UNet and the VAE run on WebGPU; its hidden states cross to the UNet
   * once per image through the CPU. 'same' (default): every stage on the pipeline's provider. Refused on
   * WebNN and onnxruntime-node. Never chosen automatically: measured on SD-Turbo's sizes it moves 1.7 GiB
   * from the GPU process to the wasm heap rather than saving it, and the browser reports no GPU memory to
   * choose by (docs/execution-providers.md#mixed-placement-the-text-encoder-on-wasm).
   */
  textEncoderProvider?: TextEncoderPlacement;
  /**
   * Keep the manifest's batch dimension fixed on wasm too (default false: left free there, so that one pair
   * of sessions makes a batch): for images compared bit for bit with a pipeline loaded for a fixed batch.
   */
  fixedBatch?: boolean;
}

/** Why a text encoder placement cannot be used with this provider, or undefined where it can. */
export function textEncoderPlacementRefusal(
  placement: TextEncoderPlacement,
  provider: ExecutionProvider,
): string | undefined {
  if (placement !== 'same' && placement !== 'wasm') {
    return `The text encoder provider must be "same" or "wasm", got ${JSON.stringify(placement)}.`;
  }
  if (placement === 'same' || provider === 'webgpu' || provider === 'wasm') return undefined;
  return (
    `The text encoder can run on wasm beside WebGPU only: on ${provider} ` +
    (provider === 'webnn'
      ? "ORT's WebNN EP has its own context, and its tensors do not cross to the wasm EP's sessions."
      : 'onnxruntime-node has no wasm EP.')
  );
}

/** Where each text-to-image stage runs, and in which precision. */
export function stagePlacement(
  provider: ProviderChoice,
  weights: WeightPrecision,
  textEncoder: TextEncoderPlacement,
): StagePlacement {
  const shared = { provider: provider.provider, precision: provider.precision ?? weights };
  const onWasm = textEncoder === 'wasm' && provider.provider !== 'wasm';
  return {
    textEncoder: onWasm ? { provider: 'wasm', precision: weights } : shared,
    unet: shared,
    vaeDecoder: shared,
  };
}

/** Said after the provider's reason where the text encoder runs on wasm. */
export const TEXT_ENCODER_ON_WASM_NOTE =
  'The text encoder runs on wasm (CPU) with its weights as stored; the UNet and VAE run on WebGPU.';

export const MAX_PROMPT_CHARACTERS = 10_000;
export const MAX_STEPS = 4;

export interface GenerateRequest {
  prompt: string;
  /** Integer in 0 .. 2^32 - 1. */
  seed: number;
  /** 1 .. 4; SD-Turbo is made for 1. */
  steps?: number;
  signal?: AbortSignal;
  /** Draw into this canvas on the GPU (no read-back) instead of returning pixels. WebGPU + gpu residency only. */
  canvas?: HTMLCanvasElement | OffscreenCanvas;
  /**
   * Image to image: the picture to start from, center-cropped to the model's aspect ratio and resized to
   * its image size. Needs a model with a VAE encoder (`pipeline.canDoImageToImage`).
   */
  sourceImage?: SourceImage;
  /**
   * Image to image only: how much of the schedule to run, in (0, 1]; 1 ignores the picture's content almost
   * entirely, small values keep it. floor(steps * strength) UNet steps run, so steps * strength must be >= 1.
   * Default 0.5 (with the default 2 steps: one UNet step, at timestep 499).
   */
  strength?: number;
  /** Called as each stage starts, so a UI can say "step k of N" while the image is made. */
  onProgress?: (progress: GenerationProgress) => void;
}

/** Image to image defaults: SD-Turbo's model card uses 2 steps at strength 0.5 (one UNet step). */
export const DEFAULT_IMAGE_TO_IMAGE_STEPS = 2;
export const DEFAULT_IMAGE_TO_IMAGE_STRENGTH = 0.5;

interface ValidatedRequest {
  steps: number;
  /** Present for image to image. */
  strength?: number;
}

function validateRequest(request: GenerateRequest): ValidatedRequest {
  if (typeof request.prompt !== 'string') {
    throw new PipelineError('invalid-input', `The prompt must be a string, got ${typeof request.prompt}.`);
  }
  if (request.prompt.length > MAX_PROMPT_CHARACTERS) {
    throw new PipelineError(
      'invalid-input',
      `The prompt has ${request.prompt.length} characters; the limit is ${MAX_PROMPT_CHARACTERS} ` +
        '(the text encoder reads only the first 75 tokens).',
    );
  }
  const { seed } = request;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new PipelineError(
      'invalid-input',
      `The seed must be an integer from 0 to 4294967295, got ${String(seed)}.`,
    );
  }
  const imageToImage = request.sourceImage !== undefined;
  const steps = request.steps ?? (imageToImage ? DEFAULT_IMAGE_TO_IMAGE_STEPS : 1);
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS) {
    throw new PipelineError(
      'invalid-input',
      `Steps must be an integer from 1 to ${MAX_STEPS}, got ${String(steps)}.`,
    );
  }
  if (!imageToImage) {
    if (request.strength !== undefined) {
      throw new PipelineError(
        'invalid-input',
        'Strength applies to image to image only: give a sourceImage or leave out strength.',
      );
    }
    return { steps };
  }
  const strength = request.strength ?? DEFAULT_IMAGE_TO_IMAGE_STRENGTH;
  if (typeof strength !== 'number' || !(strength > 0 && strength <= 1)) {
    throw new PipelineError('invalid-input', `Strength must be a number in (0, 1], got ${String(strength)}.`);
  }
  if (Math.floor(steps * strength) < 1) {
    throw new PipelineError(
      'invalid-input',
      `Strength ${strength} with ${steps} step(s) runs no step: image to image runs floor(steps x strength) ` +
        `UNet steps, so steps x strength must be at least 1 (use strength >= ${1 / steps} or more steps).`,
    );
  }
  return { steps, strength };
}

/**
 * Text to image with SD-Turbo: one object owns the three ONNX sessions and everything allocated for
 * them. Not re-entrant: one image at a time (a second call while busy is refused, not queued).
 */
export class TextToImagePipeline {
  private busy = false;
  private lostReason?: string;
  private disposed = false;
  /** Above 1: the sessions leave the batch free, and `generateBatch` takes up to this many seeds. */
  private freeBatchLimit = 1;

  private constructor(
    readonly model: ModelEntry,
    readonly provider: ProviderChoice,
    readonly residency: TensorResidency,
    /** Where each stage runs: all on `provider`, or the text encoder on wasm (`textEncoderProvider`). */
    readonly placement: StagePlacement,
    /** Why this memory mode, worded for people. */
    readonly memoryReason: string,
    private readonly sessions: StageSessionPool,
    private readonly run: StageRun,
    private readonly activity: GpuActivity | undefined,
    device: GPUDevice | undefined,
    private readonly runtime: OrtRuntime,
  ) {
    void device?.lost.then((info) => {
      if (!this.disposed) this.lostReason = info.message || info.reason || 'unknown reason';
    });
  }

  /** The precision the weights run in: as stored, or FP16 widened to FP32 ('fp32-widened'). */
  get precision(): WeightPrecision {
    return this.provider.precision ?? this.model.weights;
  }

  /** 'low': stages are loaded one at a time and released after use, for every image. */
  get memory(): MemoryMode {
    return this.sessions.mode;
  }

  /** Stage sessions created and released since load, and the milliseconds spent creating them. */
  get stageSessions(): GenerateResult['stageSessions'] {
    return { ...this.sessions.churn };
  }

  static async create(model: ModelEntry, options: PipelineOptions): Promise<TextToImagePipeline> {
    const runtime = options.runtime?.ort ?? ortWebRuntime;
    const preference = options.provider ?? 'auto';
    const provider =
      options.runtime?.provider ??
      (options.device
        ? chooseProviderFor(preference, model, options.device, options.webnnDeviceType)
        : await chooseExecutionProvider(preference, model, undefined, options.webnnDeviceType));
    const textEncoderPlacement = options.textEncoderProvider ?? 'same';
    const placementRefusal = textEncoderPlacementRefusal(textEncoderPlacement, provider.provider);
    if (placementRefusal) throw new PipelineError('invalid-input', placementRefusal);
    const placement = stagePlacement(provider, model.weights, textEncoderPlacement);
    const textEncoderOnWasm = placement.textEncoder.provider !== placement.unet.provider;
    const gpuResident = provider.provider === 'webgpu' && runtime.gpuResidentTensors;
    const residency: TensorResidency = gpuResident ? (options.residency ?? 'gpu') : 'cpu';
    // Widened graphs take and give FP32 where the stored ones take FP16: the stage runs follow the entry.
    const widen = provider.precision === 'fp32-widened';
    const capture = options.enableGraphCapture ?? false;
    if (capture) {
      const refusal = graphCaptureRefusal(provider, residency, runtime);
      if (refusal) throw new PipelineError('invalid-input', refusal);
    }
    const widenedModel = widen ? widenedModelEntry(model, textEncoderOnWasm ? ['textEncoder'] : []) : model;
    const runModel = capture ? capturedModelEntry(widenedModel) : widenedModel;
    const limits = provider.adapterLimits;
    const settings: SessionSettings = {
      runtime,
      provider: provider.provider,
      webnnDeviceType: provider.webnnDeviceType,
      gpuOutputs: residency === 'gpu',
      enableGraphCapture: capture,
      ...(textEncoderOnWasm ? { textEncoderProvider: 'wasm' as const } : {}),
      onStageLoaded: options.onStageLoaded,
      ...(widen
        ? {
            widenFp16: {
              maxTensorBytes: limits
                ? Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize)
                : Number.POSITIVE_INFINITY,
              streamStage: options.streamStage,
            },
          }
        : {}),
    };
    const memory = chooseMemoryMode(model, options.device, options.memory, provider.precision);
    // On wasm a batch dimension left free costs nothing, and spares reloading the sessions per count.
    const freeBatchLimit =
      provider.provider === 'wasm' && !options.fixedBatch && batchSizeOf(runModel) === 1
        ? wasmBatchLimit(runModel, options.device?.memoryBytes)
        : 1;
    const sessionModel = freeBatchLimit > 1 ? freeBatchModelEntry(runModel) : runModel;
    const sessions =
      memory.mode === 'low'
        ? new LowMemorySessionPool(
            sessionModel,
            options.loadStage,
            settings,
            options.unetParts ?? memory.unetParts,
          )
        : await ResidentSessionPool.create(sessionModel, options.loadStage, settings);
    try {
      // The first stage of every image, loaded now: it checks the model and starts ORT's WebGPU device.
      if (memory.mode === 'low') await sessions.session('textEncoder');
      const device = gpuResident ? await runtime.env.webgpu.device : undefined;
      const activity = device ? monitorGpuActivity(device) : undefined;
      const run =
        residency === 'gpu' && device
          ? new GpuStageRun(runModel, sessions, device, runtime, {
              timestepOnGpu: capture,
              textEncoderOnCpu: textEncoderOnWasm,
            })
          : new CpuStageRun(runModel, sessions, runtime);
      const pipeline = new TextToImagePipeline(
        runModel,
        textEncoderOnWasm
          ? { ...provider, reason: `${provider.reason} ${TEXT_ENCODER_ON_WASM_NOTE}` }
          : provider,
        residency,
        placement,
        memory.reason,
        sessions,
        run,
        activity,
        device,
        runtime,
      );
      pipeline.freeBatchLimit = freeBatchLimit;
      return pipeline;
    } catch (error) {
      await sessions.releaseAll();
      throw error;
    }
  }

  /** Whether `generate({ canvas })` can show an image with no read-back at all. */
  get canDrawToCanvas(): boolean {
    return this.residency === 'gpu' && !this.provider.softwareAdapter;
  }

  get isBusy(): boolean {
    return this.busy;
  }

  /** Counters of all GPU activity on ORT's device since load (undefined on wasm). */
  get gpuActivity(): Readonly<GpuActivity> | undefined {
    return this.activity ? { ...this.activity } : undefined;
  }

  /**
   * Makes one image and throws it away, so that the first image a person asks for does not pay for
   * shader compilation and first-run allocations (measured with `npm run bench:load`: 4.1 s for the
   * first tiny image on SwiftShader, 0.34 s for the next). Returns its milliseconds.
   */
  async warmUp(): Promise<number> {
    const started = performance.now();
    await this.generate({ prompt: '', seed: 0, steps: 1 });
    if (this.canDoImageToImage) await this.warmUpImageEncoder();
    return performance.now() - started;
  }

  /**
   * Text to image never runs the VAE encoder: without this, the first image to image would still pay for
   * its shaders and buffers. A grey picture is enough; the latents it makes are never used.
   */
  private async warmUpImageEncoder(): Promise<void> {
    const { width, height } = this.model.image;
    await this.exclusively(async () => {
      await this.run.encodeImage(new Uint8ClampedArray(width * height * 4).fill(128));
      await this.run.settle();
      await this.sessions.done('vaeEncoder');
    });
  }

  /** Runs `work` as the pipeline's one job at a time: a second call meanwhile is refused as busy. */
  private async exclusively<T>(work: () => Promise<T>): Promise<T> {
    if (this.busy)
      throw new PipelineError('busy', 'An image is already being generated; wait for it or cancel it.');
    this.busy = true;
    try {
      return await work();
    } finally {
      this.busy = false;
    }
  }

  private throwIfDisposed(): void {
    if (this.disposed)
      throw new PipelineError('not-loaded', 'This pipeline was disposed; load the model again.');
  }

  /**
   * Runs only the text encoder on `prompt`, as `generate` does (its hidden states left where the UNet reads
   * them), and returns its milliseconds, tokenizing excluded: for timing a stage placement where a whole
   * image is too slow (a software adapter).
   */
  async timeTextEncoder(prompt: string): Promise<number> {
    validateRequest({ prompt, seed: 0 });
    this.throwIfDisposed();
    return this.exclusively(async () => {
      const { maxLength, padId } = this.model.tokenizer;
      const tokens = await tokenizePrompt(prompt, { maxLength, padId });
      const started = performance.now();
      await this.run.encodeText(tokens.ids);
      await this.run.settle();
      await this.sessions.done('textEncoder');
      return performance.now() - started;
    });
  }

  /** Whether the model has a VAE encoder, so `generate({ sourceImage })` works. */
  get canDoImageToImage(): boolean {
    return this.model.stages.vaeEncoder !== undefined;
  }

  /** Images per `generateBatch`: the batch the model entry fixes (`batchedModelEntry`), else 1. */
  get batchSize(): number {
    return batchSizeOf(this.model);
  }

  /**
   * The most seeds `generateBatch` takes: on wasm, where the graphs take any batch and the manifest states
   * each image's memory, as many as the heap holds (up to 8; any number from 1); else `batchSize` exactly.
   */
  get maxBatch(): number {
    return this.freeBatchLimit > 1 ? this.freeBatchLimit : this.batchSize;
  }

  /**
   * Text to image for several seeds in one UNet and VAE decoder pass (CPU residency only): each image
   * is the one `generate` makes with its seed, bit for bit on wasm.
   */
  async generateBatch(request: BatchRequest): Promise<GenerateResult[]> {
    validateRequest({ prompt: request.prompt, seed: request.seeds[0] ?? -1, steps: request.steps });
    for (const seed of request.seeds) validateRequest({ prompt: '', seed, steps: request.steps });
    const count = request.seeds.length;
    const fits =
      this.freeBatchLimit > 1 ? count >= 1 && count <= this.freeBatchLimit : count === this.batchSize;
    if (!fits) {
      throw new PipelineError(
        'invalid-input',
        this.freeBatchLimit > 1
          ? `This pipeline makes 1 to ${this.freeBatchLimit} images in one pass here, got ${count} seeds.`
          : `This pipeline was loaded for batches of ${this.batchSize}, got ${count} seeds.`,
      );
    }
    if (this.residency !== 'cpu') {
      throw new PipelineError('invalid-input', 'A batch in one pass needs CPU residency (wasm, or io cpu).');
    }
    this.throwIfDisposed();
    return this.exclusively(() => generateBatch(this.model, this.sessions, this.runtime, request));
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const validated = validateRequest(request);
    if (this.batchSize !== 1) {
      throw new PipelineError(
        'invalid-input',
        `This pipeline makes batches of ${this.batchSize}: call generateBatch.`,
      );
    }
    this.throwIfDisposed();
    if (validated.strength !== undefined && !this.canDoImageToImage) {
      throw new NoImageEncoderError(this.model.id);
    }
    this.throwIfDeviceLost();
    if (request.canvas && !this.canDrawToCanvas) {
      throw new PipelineError(
        'invalid-input',
        'Drawing straight to a canvas needs WebGPU on a hardware adapter with GPU-resident tensors.',
      );
    }
    return this.exclusively(async () => {
      try {
        return await this.generateOnce(request, validated);
      } catch (error) {
        this.throwIfDeviceLost(error);
        throw error;
      }
    });
  }

  private throwIfDeviceLost(cause?: unknown): void {
    if (this.lostReason === undefined) return;
    throw new PipelineError(
      'device-lost',
      `The GPU device was lost (${this.lostReason}). The model must be loaded again to continue.`,
      { cause },
    );
  }

  private async generateOnce(request: GenerateRequest, validated: ValidatedRequest): Promise<GenerateResult> {
    const { steps, strength } = validated;
    const { signal } = request;
    const before = this.activity ? { ...this.activity } : undefined;
    const churnBefore = { ...this.sessions.churn };
    const started = performance.now();
    const elapsedSince = (mark: number) => performance.now() - mark;
    const scheduler = new EulerTrailingScheduler();
    scheduler.setTimesteps(steps, strength === undefined ? {} : { strength });
    const unetSteps = scheduler.stepCount;
    const report = (stage: GenerationStage, step: number) =>
      request.onProgress?.({ stage, step, steps: unetSteps });

    throwIfAborted(signal);
    let mark = performance.now();
    const { maxLength, padId } = this.model.tokenizer;
    const tokens = await tokenizePrompt(request.prompt, { maxLength, padId });
    const tokenizeMs = elapsedSince(mark);

    throwIfAborted(signal);
    report('text-encoder', 0);
    mark = performance.now();
    await this.run.encodeText(tokens.ids);
    await this.run.settle();
    await this.sessions.done('textEncoder');
    const textEncoderMs = elapsedSince(mark);

    const { channels, height, width } = this.model.latent;
    const noise = gaussianNoise(request.seed, channels * height * width);
    let vaeEncoderMs: number | undefined;
    if (request.sourceImage !== undefined) {
      throwIfAborted(signal);
      report('vae-encoder', 0);
      mark = performance.now();
      const { width: imageWidth, height: imageHeight } = this.model.image;
      await this.run.encodeImage(sourcePixels(request.sourceImage, imageWidth, imageHeight));
      await this.run.settle();
      await this.sessions.done('vaeEncoder');
      vaeEncoderMs = elapsedSince(mark);
      this.run.startLatentsFromImage(
        noise,
        scheduler.initNoiseSigma,
        scheduler.inputScale(0),
        this.model.vaeScalingFactor,
      );
    } else {
      this.run.startLatents(noise, scheduler.initNoiseSigma, scheduler.inputScale(0));
    }

    const unetMs: number[] = [];
    for (let index = 0; index < unetSteps; index++) {
      throwIfAborted(signal);
      report('unet', index + 1);
      mark = performance.now();
      await this.run.runUnet(scheduler.timesteps[index]);
      await this.run.settle();
      unetMs.push(elapsedSince(mark));
      const last = index === unetSteps - 1;
      const outputScale = last ? 1 / this.model.vaeScalingFactor : scheduler.inputScale(index + 1);
      this.run.step(scheduler.stepCoefficient(index), outputScale, last ? 'vae' : 'unet');
    }
    await this.sessions.done('unet');

    throwIfAborted(signal);
    report('vae-decoder', unetSteps);
    mark = performance.now();
    await this.run.decode();
    await this.run.settle();
    const vaeMs = elapsedSince(mark);

    mark = performance.now();
    const pixels = await this.run.finish(request.canvas);
    await this.run.settle();
    const pixelsMs = elapsedSince(mark);
    // After the pixels: on the CPU path the decoder's output tensor is read in finish().
    await this.sessions.done('vaeDecoder');

    const totalMs = elapsedSince(started);
    const stagesMs = textEncoderMs + unetMs.reduce((sum, ms) => sum + ms, 0) + vaeMs + (vaeEncoderMs ?? 0);
    const after = this.activity;
    return {
      pixels,
      width: this.model.image.width,
      height: this.model.image.height,
      prompt: request.prompt,
      seed: request.seed,
      steps,
      ...(strength === undefined ? {} : { strength }),
      truncated: tokens.truncated,
      timings: {
        totalMs,
        tokenizeMs,
        textEncoderMs,
        unetMs,
        vaeMs,
        ...(vaeEncoderMs === undefined ? {} : { vaeEncoderMs }),
        pixelsMs,
        overheadMs: totalMs - stagesMs,
      },
      readbacks: before && after ? after.readbacks - before.readbacks : 0,
      readbackBytes: before && after ? after.readbackBytes - before.readbackBytes : 0,
      gpuBuffersCreated: before && after ? after.buffersCreated - before.buffersCreated : 0,
      uploadStagingBuffers: before && after ? after.uploadStagingBuffers - before.uploadStagingBuffers : 0,
      stageSessions: {
        created: this.sessions.churn.created - churnBefore.created,
        released: this.sessions.churn.released - churnBefore.released,
        loadMs: this.sessions.churn.loadMs - churnBefore.loadMs,
      },
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.run.dispose();
    await this.sessions.releaseAll();
  }
}
