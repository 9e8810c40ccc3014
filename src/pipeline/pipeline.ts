import * as ort from 'onnxruntime-web/webgpu';
import { EulerTrailingScheduler, gaussianNoise } from '../scheduler/index.js';
import { PipelineError, throwIfAborted } from './errors.js';
import {
  chooseExecutionProvider,
  type ProviderChoice,
  type ProviderPreference,
} from './execution-provider.js';
import { fromFloat16Bits, toFloat16Bits } from './float16.js';
import { monitorGpuActivity, type GpuActivity } from './gpu-activity.js';
import { LatentKernels, paddedRowBytes, type GpuFloatType } from './latent-kernels.js';
import type { ModelEntry, TensorElementType } from './manifest-types.js';
import { latentsToPixels } from './pixels.js';
import {
  createStageSessions,
  releaseStageSessions,
  type StageLoader,
  type StageSessions,
} from './stage-sessions.js';
import { tokenizePrompt } from './tokenizer.js';

/** Where tensors live between stages: on the GPU (WebGPU only), or read back to the CPU after each stage. */
export type TensorResidency = 'gpu' | 'cpu';

export interface PipelineOptions {
  provider?: ProviderPreference;
  /** Default 'gpu' on WebGPU; always 'cpu' on wasm. */
  residency?: TensorResidency;
  loadStage: StageLoader;
  enableGraphCapture?: boolean;
}

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
}

export interface StageTimings {
  totalMs: number;
  tokenizeMs: number;
  textEncoderMs: number;
  unetMs: number[];
  vaeMs: number;
  pixelsMs: number;
  /** Total minus the three model stages: tokenizing, noise, scheduler math, pixels, and waiting. */
  overheadMs: number;
}

export interface GenerateResult {
  /** RGBA8, row-major, width*height*4 bytes; absent when drawn to a canvas. */
  pixels?: Uint8ClampedArray;
  width: number;
  height: number;
  prompt: string;
  seed: number;
  steps: number;
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
}

interface StageRun {
  encodeText(ids: Int32Array): Promise<void>;
  startLatents(noise: Float32Array, initSigma: number, inputScale: number): void;
  runUnet(timestep: number): Promise<void>;
  step(coefficient: number, outputScale: number, target: 'unet' | 'vae'): void;
  decode(): Promise<void>;
  /** Pixels, or undefined when drawn straight into a canvas. */
  finish(canvas?: HTMLCanvasElement | OffscreenCanvas): Promise<Uint8ClampedArray | undefined>;
  /** Waits until the GPU has finished what was queued, so stage timings are honest. */
  settle(): Promise<void>;
  dispose(): void;
}

function validateRequest(request: GenerateRequest): number {
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
  const steps = request.steps ?? 1;
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS) {
    throw new PipelineError(
      'invalid-input',
      `Steps must be an integer from 1 to ${MAX_STEPS}, got ${String(steps)}.`,
    );
  }
  return steps;
}

function bytesPerElement(type: TensorElementType): number {
  return type === 'float16' ? 2 : type === 'int64' ? 8 : 4;
}

function scalarData(type: TensorElementType, value: number): ort.Tensor.DataType {
  switch (type) {
    case 'int64':
      return BigInt64Array.of(BigInt(value));
    case 'int32':
      return Int32Array.of(value);
    case 'float16':
      return toFloat16Bits([value]);
    case 'float32':
      return Float32Array.of(value);
  }
}

function floatData(type: TensorElementType, values: Float32Array): ort.Tensor.DataType {
  return type === 'float16' ? toFloat16Bits(values) : values;
}

async function readFloats(tensor: ort.Tensor): Promise<Float32Array> {
  const data = await tensor.getData();
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array) return fromFloat16Bits(data);
  return Float32Array.from(data as ArrayLike<number>);
}

/** Everything read back through the CPU between stages: wasm, or WebGPU's `--io cpu` comparison mode. */
class CpuStageRun implements StageRun {
  private hidden?: ort.Tensor;
  private x: Float32Array = new Float32Array(0);
  private unetInput: Float32Array = new Float32Array(0);
  private noisePred: Float32Array = new Float32Array(0);
  private vaeInput: Float32Array = new Float32Array(0);
  private image?: ort.Tensor;

  constructor(
    private readonly model: ModelEntry,
    private readonly sessions: StageSessions,
  ) {}

  async encodeText(ids: Int32Array): Promise<void> {
    const spec = this.model.stages.textEncoder;
    const feeds = { [spec.inputs.inputIds.name]: new ort.Tensor('int32', ids, [1, ids.length]) };
    const outputs = await this.sessions.textEncoder.run(feeds);
    this.hidden = outputs[spec.outputs.hiddenStates.name];
  }

  startLatents(noise: Float32Array, initSigma: number, inputScale: number): void {
    this.x = noise.map((value) => value * initSigma);
    this.unetInput = this.x.map((value) => value * inputScale);
  }

  async runUnet(timestep: number): Promise<void> {
    const { inputs, outputs } = this.model.stages.unet;
    const { channels, height, width } = this.model.latent;
    if (!this.hidden) throw new PipelineError('not-loaded', 'The text encoder has not run.');
    const feeds = {
      [inputs.sample.name]: new ort.Tensor(
        inputs.sample.type,
        floatData(inputs.sample.type, this.unetInput),
        [1, channels, height, width],
      ),
      [inputs.timestep.name]: new ort.Tensor(
        inputs.timestep.type,
        scalarData(inputs.timestep.type, timestep),
        [1],
      ),
      [inputs.encoderHiddenStates.name]: this.hidden,
    };
    const result = await this.sessions.unet.run(feeds);
    this.noisePred = await readFloats(result[outputs.noisePred.name]);
  }

  step(coefficient: number, outputScale: number, target: 'unet' | 'vae'): void {
    const next = new Float32Array(this.x.length);
    for (let i = 0; i < this.x.length; i++) {
      this.x[i] += this.noisePred[i] * coefficient;
      next[i] = this.x[i] * outputScale;
    }
    if (target === 'unet') this.unetInput = next;
    else this.vaeInput = next;
  }

  async decode(): Promise<void> {
    const { inputs, outputs } = this.model.stages.vaeDecoder;
    const { channels, height, width } = this.model.latent;
    const feeds = {
      [inputs.latentSample.name]: new ort.Tensor(
        inputs.latentSample.type,
        floatData(inputs.latentSample.type, this.vaeInput),
        [1, channels, height, width],
      ),
    };
    this.image = (await this.sessions.vaeDecoder.run(feeds))[outputs.sample.name];
  }

  async finish(): Promise<Uint8ClampedArray> {
    if (!this.image) throw new PipelineError('not-loaded', 'The VAE decoder has not run.');
    return latentsToPixels(await readFloats(this.image), this.model.image.width, this.model.image.height);
  }

  async settle(): Promise<void> {}

  dispose(): void {
    this.hidden = undefined;
    this.image = undefined;
  }
}

/**
 * Every tensor of an image lives in GPU buffers allocated once at load; ORT reads its inputs from them
 * and writes its outputs into them, and the scheduler runs as WGSL passes in between.
 */
class GpuStageRun implements StageRun {
  private readonly buffers: GPUBuffer[] = [];
  private readonly tensors: {
    inputIds: ort.Tensor;
    hidden: ort.Tensor;
    unetInput: ort.Tensor;
    noisePred: ort.Tensor;
    vaeInput: ort.Tensor;
    image: ort.Tensor;
  };
  private readonly noise: GPUBuffer;
  private readonly pixels: GPUBuffer;
  private readonly readback: GPUBuffer;
  private readonly kernels: LatentKernels;
  private canvasContext?: { canvas: HTMLCanvasElement | OffscreenCanvas; context: GPUCanvasContext };

  constructor(
    private readonly model: ModelEntry,
    private readonly sessions: StageSessions,
    private readonly device: GPUDevice,
  ) {
    const { channels, height, width } = model.latent;
    const stages = model.stages;
    const latentShape = [1, channels, height, width];
    const latentElements = channels * height * width;
    const sequence = model.tokenizer.maxLength;
    const floatType = stages.unet.inputs.sample.type as GpuFloatType;
    const image = model.image;

    const ioBuffer = (type: TensorElementType, elements: number, label: string) =>
      this.createBuffer(
        // ORT copies a GPU input that CPU-EP nodes read in 16-byte units; a shorter buffer is a device error.
        Math.ceil((elements * bytesPerElement(type)) / 16) * 16,
        GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        label,
      );
    const tensor = (buffer: GPUBuffer, type: TensorElementType, dims: number[]) =>
      ort.Tensor.fromGpuBuffer(buffer, { dataType: type as ort.Tensor.GpuBufferDataTypes, dims });

    const idsType = stages.textEncoder.inputs.inputIds.type;
    const hiddenType = stages.textEncoder.outputs.hiddenStates.type;
    const noisePredType = stages.unet.outputs.noisePred.type;
    const vaeInputType = stages.vaeDecoder.inputs.latentSample.type;
    const imageType = stages.vaeDecoder.outputs.sample.type;
    for (const [what, type] of [
      ['UNet output', noisePredType],
      ['VAE input', vaeInputType],
      ['VAE output', imageType],
    ] as const) {
      if (type !== floatType) {
        throw new PipelineError(
          'model-io-mismatch',
          `The ${what} is ${type} but the UNet input is ${floatType}; the GPU path needs one float type.`,
        );
      }
    }

    const hiddenShape = [1, sequence, model.hiddenSize];
    const imageShape = [1, 3, image.height, image.width];
    const x = ioBuffer('float32', latentElements, 'x');
    const unetInput = ioBuffer(floatType, latentElements, 'unet-input');
    const noisePred = ioBuffer(floatType, latentElements, 'noise-pred');
    const vaeInput = ioBuffer(floatType, latentElements, 'vae-input');
    const imageBuffer = ioBuffer(floatType, 3 * image.width * image.height, 'image');
    this.noise = ioBuffer('float32', latentElements, 'noise');
    const pixelBytes = paddedRowBytes(image.width) * image.height;
    this.pixels = this.createBuffer(pixelBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'pixels');
    this.readback = this.createBuffer(
      pixelBytes,
      GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      'pixels-readback',
    );
    this.tensors = {
      inputIds: tensor(ioBuffer(idsType, sequence, 'input-ids'), idsType, [1, sequence]),
      hidden: tensor(ioBuffer(hiddenType, sequence * model.hiddenSize, 'hidden'), hiddenType, hiddenShape),
      unetInput: tensor(unetInput, floatType, latentShape),
      noisePred: tensor(noisePred, floatType, latentShape),
      vaeInput: tensor(vaeInput, floatType, latentShape),
      image: tensor(imageBuffer, floatType, imageShape),
    };
    this.kernels = new LatentKernels(
      device,
      floatType,
      { noise: this.noise, x, unetInput, noisePred, vaeInput, image: imageBuffer, pixels: this.pixels },
      latentElements,
      image,
    );
  }

  private createBuffer(size: number, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
    const buffer = this.device.createBuffer({ size, usage, label });
    this.buffers.push(buffer);
    return buffer;
  }

  private write(tensor: ort.Tensor, data: ort.Tensor.DataType): void {
    const view = data as ArrayBufferView<ArrayBuffer>;
    this.device.queue.writeBuffer(
      tensor.gpuBuffer as GPUBuffer,
      0,
      view.buffer,
      view.byteOffset,
      view.byteLength,
    );
  }

  async encodeText(ids: Int32Array): Promise<void> {
    const spec = this.model.stages.textEncoder;
    this.write(
      this.tensors.inputIds,
      spec.inputs.inputIds.type === 'int64' ? BigInt64Array.from(ids, BigInt) : ids,
    );
    await this.sessions.textEncoder.run(
      { [spec.inputs.inputIds.name]: this.tensors.inputIds },
      { [spec.outputs.hiddenStates.name]: this.tensors.hidden },
    );
  }

  startLatents(noise: Float32Array, initSigma: number, inputScale: number): void {
    this.device.queue.writeBuffer(this.noise, 0, noise.buffer, noise.byteOffset, noise.byteLength);
    this.kernels.startLatents(initSigma, inputScale);
  }

  async runUnet(timestep: number): Promise<void> {
    const { inputs, outputs } = this.model.stages.unet;
    // The timestep stays a CPU tensor: exports turn it into an embedding through int64 ops that ORT runs on
    // its CPU EP, so a GPU copy would cost one read-back per step.
    const timestepTensor = new ort.Tensor(
      inputs.timestep.type,
      scalarData(inputs.timestep.type, timestep),
      [1],
    );
    await this.sessions.unet.run(
      {
        [inputs.sample.name]: this.tensors.unetInput,
        [inputs.timestep.name]: timestepTensor,
        [inputs.encoderHiddenStates.name]: this.tensors.hidden,
      },
      { [outputs.noisePred.name]: this.tensors.noisePred },
    );
  }

  step(coefficient: number, outputScale: number, target: 'unet' | 'vae'): void {
    this.kernels.step(coefficient, outputScale, target);
  }

  async decode(): Promise<void> {
    const { inputs, outputs } = this.model.stages.vaeDecoder;
    await this.sessions.vaeDecoder.run(
      { [inputs.latentSample.name]: this.tensors.vaeInput },
      { [outputs.sample.name]: this.tensors.image },
    );
  }

  async finish(canvas?: HTMLCanvasElement | OffscreenCanvas): Promise<Uint8ClampedArray | undefined> {
    const { width, height } = this.model.image;
    const rowBytes = paddedRowBytes(width);
    const encoder = this.device.createCommandEncoder();
    this.kernels.imageToPixels(encoder);
    if (canvas) {
      const texture = this.canvasTexture(canvas);
      encoder.copyBufferToTexture(
        { buffer: this.pixels, bytesPerRow: rowBytes, rowsPerImage: height },
        { texture },
        { width, height },
      );
      this.device.queue.submit([encoder.finish()]);
      return undefined;
    }
    encoder.copyBufferToBuffer(this.pixels, 0, this.readback, 0, rowBytes * height);
    this.device.queue.submit([encoder.finish()]);
    await this.readback.mapAsync(GPUMapMode.READ);
    try {
      const padded = new Uint8Array(this.readback.getMappedRange());
      const pixels = new Uint8ClampedArray(width * height * 4);
      for (let row = 0; row < height; row++) {
        pixels.set(padded.subarray(row * rowBytes, row * rowBytes + width * 4), row * width * 4);
      }
      return pixels;
    } finally {
      this.readback.unmap();
    }
  }

  private canvasTexture(canvas: HTMLCanvasElement | OffscreenCanvas): GPUTexture {
    if (this.canvasContext?.canvas !== canvas) {
      const context = canvas.getContext('webgpu') as GPUCanvasContext | null;
      if (!context) throw new PipelineError('invalid-input', 'The canvas cannot give a WebGPU context.');
      // rgba8unorm matches the packed pixels byte for byte, so the copy needs no shader.
      context.configure({
        device: this.device,
        format: 'rgba8unorm',
        usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.RENDER_ATTACHMENT,
        alphaMode: 'opaque',
      });
      this.canvasContext = { canvas, context };
    }
    const { width, height } = this.model.image;
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    return this.canvasContext.context.getCurrentTexture();
  }

  async settle(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
  }

  dispose(): void {
    for (const tensor of Object.values(this.tensors)) tensor.dispose();
    for (const buffer of this.buffers) buffer.destroy();
    this.canvasContext?.context.unconfigure();
  }
}

/**
 * Text to image with SD-Turbo: one object owns the three ONNX sessions and everything allocated for
 * them. Not re-entrant: one image at a time (a second call while busy is refused, not queued).
 */
export class TextToImagePipeline {
  private busy = false;
  private lostReason?: string;
  private disposed = false;

  private constructor(
    readonly model: ModelEntry,
    readonly provider: ProviderChoice,
    readonly residency: TensorResidency,
    private readonly sessions: StageSessions,
    private readonly run: StageRun,
    private readonly activity: GpuActivity | undefined,
    device: GPUDevice | undefined,
  ) {
    void device?.lost.then((info) => {
      if (!this.disposed) this.lostReason = info.message || info.reason || 'unknown reason';
    });
  }

  static async create(model: ModelEntry, options: PipelineOptions): Promise<TextToImagePipeline> {
    if (options.enableGraphCapture) {
      // Measured with `npm run bench -- --graph-capture`: ORT replays a captured graph only when every input
      // and output is a GPU buffer, and the UNet's timestep is a CPU tensor (int64 ops on ORT's CPU EP).
      throw new PipelineError(
        'invalid-input',
        "Graph capture cannot run these models: the UNet's timestep input stays on the CPU, and ORT's graph " +
          'capture needs every input and output in GPU buffers.',
      );
    }
    const provider = await chooseExecutionProvider(options.provider ?? 'auto', model.weights);
    const residency: TensorResidency = provider.provider === 'webgpu' ? (options.residency ?? 'gpu') : 'cpu';
    const sessions = await createStageSessions(model, options.loadStage, {
      provider: provider.provider,
      gpuOutputs: residency === 'gpu',
      enableGraphCapture: options.enableGraphCapture,
    });
    try {
      const device = provider.provider === 'webgpu' ? await ort.env.webgpu.device : undefined;
      const activity = device ? monitorGpuActivity(device) : undefined;
      const run =
        residency === 'gpu' && device
          ? new GpuStageRun(model, sessions, device)
          : new CpuStageRun(model, sessions);
      return new TextToImagePipeline(model, provider, residency, sessions, run, activity, device);
    } catch (error) {
      await releaseStageSessions(sessions);
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

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const steps = validateRequest(request);
    if (this.disposed)
      throw new PipelineError('not-loaded', 'This pipeline was disposed; load the model again.');
    this.throwIfDeviceLost();
    if (request.canvas && !this.canDrawToCanvas) {
      throw new PipelineError(
        'invalid-input',
        'Drawing straight to a canvas needs WebGPU on a hardware adapter with GPU-resident tensors.',
      );
    }
    if (this.busy)
      throw new PipelineError('busy', 'An image is already being generated; wait for it or cancel it.');
    this.busy = true;
    try {
      return await this.generateOnce(request, steps);
    } catch (error) {
      this.throwIfDeviceLost(error);
      throw error;
    } finally {
      this.busy = false;
    }
  }

  private throwIfDeviceLost(cause?: unknown): void {
    if (this.lostReason === undefined) return;
    throw new PipelineError(
      'device-lost',
      `The GPU device was lost (${this.lostReason}). The model must be loaded again to continue.`,
      { cause },
    );
  }

  private async generateOnce(request: GenerateRequest, steps: number): Promise<GenerateResult> {
    const { signal } = request;
    const before = this.activity ? { ...this.activity } : undefined;
    const started = performance.now();
    const elapsedSince = (mark: number) => performance.now() - mark;

    throwIfAborted(signal);
    let mark = performance.now();
    const { maxLength, padId } = this.model.tokenizer;
    const tokens = await tokenizePrompt(request.prompt, { maxLength, padId });
    const tokenizeMs = elapsedSince(mark);

    throwIfAborted(signal);
    mark = performance.now();
    await this.run.encodeText(tokens.ids);
    await this.run.settle();
    const textEncoderMs = elapsedSince(mark);

    const scheduler = new EulerTrailingScheduler();
    scheduler.setTimesteps(steps);
    const { channels, height, width } = this.model.latent;
    this.run.startLatents(
      gaussianNoise(request.seed, channels * height * width),
      scheduler.initNoiseSigma,
      scheduler.inputScale(0),
    );

    const unetMs: number[] = [];
    for (let index = 0; index < steps; index++) {
      throwIfAborted(signal);
      mark = performance.now();
      await this.run.runUnet(scheduler.timesteps[index]);
      await this.run.settle();
      unetMs.push(elapsedSince(mark));
      const last = index === steps - 1;
      const outputScale = last ? 1 / this.model.vaeScalingFactor : scheduler.inputScale(index + 1);
      this.run.step(scheduler.stepCoefficient(index), outputScale, last ? 'vae' : 'unet');
    }

    throwIfAborted(signal);
    mark = performance.now();
    await this.run.decode();
    await this.run.settle();
    const vaeMs = elapsedSince(mark);

    mark = performance.now();
    const pixels = await this.run.finish(request.canvas);
    await this.run.settle();
    const pixelsMs = elapsedSince(mark);

    const totalMs = elapsedSince(started);
    const stagesMs = textEncoderMs + unetMs.reduce((sum, ms) => sum + ms, 0) + vaeMs;
    const after = this.activity;
    return {
      pixels,
      width: this.model.image.width,
      height: this.model.image.height,
      prompt: request.prompt,
      seed: request.seed,
      steps,
      truncated: tokens.truncated,
      timings: {
        totalMs,
        tokenizeMs,
        textEncoderMs,
        unetMs,
        vaeMs,
        pixelsMs,
        overheadMs: totalMs - stagesMs,
      },
      readbacks: before && after ? after.readbacks - before.readbacks : 0,
      readbackBytes: before && after ? after.readbackBytes - before.readbackBytes : 0,
      gpuBuffersCreated: before && after ? after.buffersCreated - before.buffersCreated : 0,
      uploadStagingBuffers: before && after ? after.uploadStagingBuffers - before.uploadStagingBuffers : 0,
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.run.dispose();
    await releaseStageSessions(this.sessions);
  }
}
