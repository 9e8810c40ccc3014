/**
 * Test page: exposes the pipeline's public face to Playwright as `window.pipelineTest`.
 * Models are read straight from their URLs (the downloader has its own tests). The manifest is
 * /model-manifest.json, or the one named by `?manifest=<url>`.
 */
import * as ort from 'onnxruntime-web/webgpu';
import {
  TextToImagePipeline,
  getModel,
  loadManifest,
  resolveFileUrl,
  type GenerateRequest,
  type PipelineOptions,
  type RgbaPixels,
  type SourceImage,
} from '../../src/pipeline/index.js';
import { floatTimestepModel } from '../../src/pipeline/model/onnx/onnx-float-timestep.js';
import { outcome } from './outcome.js';

const manifestUrl = new URL(
  new URLSearchParams(location.search).get('manifest') ?? '/model-manifest.json',
  location.href,
).href;
const pipelines = new Map<string, TextToImagePipeline>();

interface LoadOptions {
  provider?: PipelineOptions['provider'];
  residency?: PipelineOptions['residency'];
  memory?: PipelineOptions['memory'];
  /** Low-memory mode: the UNet in this many parts. */
  unetParts?: number;
  webnnDeviceType?: PipelineOptions['webnnDeviceType'];
  /** Load the model as if its manifest entry had no VAE encoder (a text-to-image-only model). */
  withoutEncoder?: boolean;
  /** ORT's WebGPU graph capture. */
  enableGraphCapture?: boolean;
  /** 'wasm': the text encoder on wasm beside WebGPU (mixed placement). */
  textEncoderProvider?: PipelineOptions['textEncoderProvider'];
  /** Load the model as if its FP32 form needed buffers and bindings of this many bytes. */
  widenedTensorBytes?: number;
}

/** Stage files fetched so far: a refusal before any download fetches none. */
let stageFetches = 0;

/** A test picture made in the page (Playwright cannot pass pixels or bitmaps in). */
interface PictureSpec {
  width: number;
  height: number;
  /** Selects one of a few different deterministic patterns. */
  pattern: number;
  as: 'pixels' | 'bitmap';
}

function testPixels({ width, height, pattern }: PictureSpec): RgbaPixels {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = pattern === 0 ? (x * 255) / width : ((x ^ y) * 37) & 255;
      data[i + 1] = pattern === 0 ? (y * 255) / height : 255 - (x * 255) / width;
      data[i + 2] = pattern === 0 ? 128 : ((x + y) * 8) & 255;
      data[i + 3] = 255;
    }
  }
  return { data, width, height };
}

async function testPicture(spec: PictureSpec): Promise<SourceImage> {
  const pixels = testPixels(spec);
  if (spec.as === 'pixels') return pixels;
  return createImageBitmap(
    new ImageData(pixels.data as Uint8ClampedArray<ArrayBuffer>, pixels.width, pixels.height),
  );
}

async function* responseChunks(url: string): AsyncGenerator<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status}`);
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

async function load(modelId: string, options: LoadOptions = {}) {
  const key = `${modelId}/${options.provider ?? 'auto'}/${options.residency ?? 'gpu'}/${options.webnnDeviceType ?? ''}/${options.withoutEncoder ?? false}/${options.widenedTensorBytes ?? ''}/${options.enableGraphCapture ?? false}/${options.memory ?? 'auto'}/${options.textEncoderProvider ?? 'same'}/${options.unetParts ?? ''}`;
  const existing = pipelines.get(key);
  if (existing) return existing;
  const manifest = await loadManifest(manifestUrl);
  const model = getModel(manifest, modelId);
  if (options.withoutEncoder) delete model.stages.vaeEncoder;
  const widened = model.requires.webgpu && model.requires.webgpu.fp32Widened;
  if (widened && options.widenedTensorBytes) {
    widened.maxStorageBufferBindingSize = widened.maxBufferSize = options.widenedTensorBytes;
  }
  const pipeline = await TextToImagePipeline.create(model, {
    provider: options.provider,
    residency: options.residency,
    memory: options.memory,
    unetParts: options.unetParts,
    webnnDeviceType: options.webnnDeviceType,
    enableGraphCapture: options.enableGraphCapture,
    textEncoderProvider: options.textEncoderProvider,
    loadStage: async (_stage, file) => {
      stageFetches++;
      const response = await fetch(resolveFileUrl(model, file, manifestUrl));
      return new Uint8Array(await response.arrayBuffer());
    },
    // A widened stage, as the app widens it: chunk by chunk as it arrives (here, from the network).
    streamStage: (_stage, file) => {
      stageFetches++;
      return responseChunks(resolveFileUrl(model, file, manifestUrl));
    },
  });
  pipelines.set(key, pipeline);
  return pipeline;
}

const pipelineTest = {
  ortVersion(): string {
    return ort.env.versions.web ?? '';
  },
  async describe(modelId: string, options?: LoadOptions) {
    const pipeline = await load(modelId, options);
    return {
      provider: pipeline.provider,
      residency: pipeline.residency,
      activity: pipeline.gpuActivity,
      precision: pipeline.precision,
      placement: pipeline.placement,
      memory: pipeline.memory,
      memoryReason: pipeline.memoryReason,
      stageSessions: pipeline.stageSessions,
    };
  },
  /** The adapter's buffer limits beside those of the device ORT created (WebGPU only). */
  async bufferLimits() {
    const adapter = (await navigator.gpu.requestAdapter())!;
    const device = (await ort.env.webgpu.device) as GPUDevice;
    const limits = ({ limits }: { limits: GPUSupportedLimits }) => ({
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
    });
    return { adapter: limits(adapter), device: limits(device) };
  },
  stageFetches() {
    return stageFetches;
  },
  async generate(
    modelId: string,
    request: Omit<GenerateRequest, 'signal' | 'canvas'>,
    options?: LoadOptions,
  ) {
    const pipeline = await load(modelId, options);
    const result = await pipeline.generate(request);
    return { ...result, pixels: result.pixels ? Array.from(result.pixels) : undefined };
  },
  async generateFromPicture(
    modelId: string,
    request: Omit<GenerateRequest, 'signal' | 'canvas' | 'sourceImage'>,
    picture: PictureSpec,
    options?: LoadOptions,
  ) {
    const pipeline = await load(modelId, options);
    const result = await pipeline.generate({ ...request, sourceImage: await testPicture(picture) });
    return { ...result, pixels: result.pixels ? Array.from(result.pixels) : undefined };
  },
  async generateFromPictureError(
    modelId: string,
    request: Record<string, unknown>,
    picture: PictureSpec | { data: number; width: number; height: number },
    options?: LoadOptions,
  ) {
    const pipeline = await load(modelId, options);
    const sourceImage =
      'as' in picture
        ? await testPicture(picture)
        : { data: new Uint8ClampedArray(picture.data), width: picture.width, height: picture.height };
    return outcome(async () => {
      await pipeline.generate({ ...(request as unknown as GenerateRequest), sourceImage });
    });
  },
  async generateToCanvas(modelId: string, request: Omit<GenerateRequest, 'signal' | 'canvas'>) {
    const pipeline = await load(modelId);
    const canvas = document.querySelector<HTMLCanvasElement>('#target')!;
    const result = await pipeline.generate({ ...request, canvas });
    return { ...result, pixels: undefined };
  },
  async generateError(modelId: string, request: unknown, options?: LoadOptions) {
    const pipeline = await load(modelId, options);
    return outcome(async () => {
      await pipeline.generate(request as GenerateRequest);
    });
  },
  /**
   * Runs a graph whose input `x` and output `y` are float16 [1, 4, 8, 8] in GPU buffers (FP32 inside, Cast
   * nodes at the edges) on ORT's WebGPU EP, with ORT's verbose log (node placements) in the console.
   */
  async runFloat16IoGraph(modelBytes: number[]) {
    return outcome(async () => {
      const session = await ort.InferenceSession.create(Uint8Array.from(modelBytes), {
        executionProviders: ['webgpu'],
        preferredOutputLocation: 'gpu-buffer',
        logSeverityLevel: 0,
        logVerbosityLevel: 0,
      });
      const device = (await ort.env.webgpu.device) as GPUDevice;
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
      const buffers = [device.createBuffer({ size: 512, usage }), device.createBuffer({ size: 512, usage })];
      try {
        const [x, y] = buffers.map((buffer) =>
          ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float16', dims: [1, 4, 8, 8] }),
        );
        await session.run({ x }, { y });
        return Array.from((await y.getData()) as Uint16Array);
      } finally {
        for (const buffer of buffers) buffer.destroy();
        await session.release();
      }
    });
  },
  /**
   * ORT directly, as the pipeline runs tiny-fp32 with graph capture: its text encoder and its UNet (the
   * timestep made float32) captured, the text encoder's output buffer the UNet's input, every buffer the
   * same on every run. Runs text encoder, UNet, text encoder, UNet and returns each run's outcome: the
   * UNet output's first values, or the error.
   */
  async graphCaptureRuns(baseUrl: string) {
    const options = {
      executionProviders: ['webgpu'],
      preferredOutputLocation: 'gpu-buffer',
      enableGraphCapture: true,
    } as const;
    const fetchBytes = async (path: string) =>
      new Uint8Array(await (await fetch(`${baseUrl}/${path}`)).arrayBuffer());
    const textEncoder = await ort.InferenceSession.create(
      await fetchBytes('text_encoder/model.onnx'),
      options,
    );
    const unet = await ort.InferenceSession.create(
      floatTimestepModel(await fetchBytes('unet/model.onnx'), 'timestep').graph,
      options,
    );
    const device = (await ort.env.webgpu.device) as GPUDevice;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const gpuTensor = (dims: number[], dataType: 'float32' | 'int32' = 'float32') => {
      const bytes = Math.ceil((dims.reduce((a, b) => a * b) * 4) / 16) * 16;
      const buffer = device.createBuffer({ size: bytes, usage });
      device.queue.writeBuffer(buffer, 0, new Float32Array(bytes / 4).fill(dataType === 'int32' ? 0 : 0.5));
      return ort.Tensor.fromGpuBuffer(buffer, { dataType, dims });
    };
    const ids = gpuTensor([1, 77], 'int32');
    const hidden = gpuTensor([1, 77, 32]);
    const sample = gpuTensor([1, 4, 8, 8]);
    const timestep = gpuTensor([1]);
    const out = gpuTensor([1, 4, 8, 8]);
    const readOut = async () => {
      const readback = device.createBuffer({
        size: 16,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(out.gpuBuffer as GPUBuffer, 0, readback, 0, 16);
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const values = Array.from(new Float32Array(readback.getMappedRange().slice(0)));
      readback.destroy();
      return values;
    };
    const runs = [];
    try {
      for (let round = 0; round < 2; round++) {
        runs.push(
          await outcome(
            async () => void (await textEncoder.run({ input_ids: ids }, { last_hidden_state: hidden })),
          ),
        );
        runs.push(
          await outcome(async () => {
            await unet.run({ sample, timestep, encoder_hidden_states: hidden }, { out_sample: out });
            return readOut();
          }),
        );
      }
    } finally {
      await textEncoder.release();
      await unet.release();
      for (const tensor of [ids, hidden, sample, timestep, out]) tensor.dispose();
    }
    return runs;
  },
  async loadError(modelId: string, options?: LoadOptions) {
    return outcome(async () => {
      await load(modelId, options);
    });
  },
  /** Aborts once the text encoder has started; the run must stop before the UNet and leave the pipeline usable. */
  async cancelDuringRun(modelId: string, request: Omit<GenerateRequest, 'signal' | 'canvas'>) {
    const pipeline = await load(modelId);
    const before = pipeline.gpuActivity;
    const controller = new AbortController();
    const running = pipeline.generate({ ...request, signal: controller.signal });
    queueMicrotask(() => controller.abort());
    const cancelled = await outcome(() => running);
    const after = pipeline.gpuActivity;
    const busyOutcome = await outcome(async () => {
      const first = pipeline.generate(request);
      const second = pipeline.generate(request);
      await Promise.allSettled([first]);
      await second;
    });
    return {
      outcome: cancelled,
      busyOutcome,
      buffersCreatedDuringCancelledRun: before && after ? after.buffersCreated - before.buffersCreated : 0,
    };
  },
};

declare global {
  interface Window {
    pipelineTest: typeof pipelineTest;
  }
}
window.pipelineTest = pipelineTest;
document.body.dataset.ready = 'true';
