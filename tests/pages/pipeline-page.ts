/**
 * Test page: exposes the pipeline's public face to Playwright as `window.pipelineTest`.
 * Models are read straight from their URLs (the downloader has its own tests). The manifest is
 * /model-manifest.json, or the one named by `?manifest=<url>`.
 */
import {
  TextToImagePipeline,
  getModel,
  loadManifest,
  resolveFileUrl,
  type GenerateRequest,
  type PipelineOptions,
} from '../../src/pipeline/index.js';
import { outcome } from './outcome.js';

const manifestUrl = new URL(
  new URLSearchParams(location.search).get('manifest') ?? '/model-manifest.json',
  location.href,
).href;
const pipelines = new Map<string, TextToImagePipeline>();

interface LoadOptions {
  provider?: PipelineOptions['provider'];
  residency?: PipelineOptions['residency'];
  webnnDeviceType?: PipelineOptions['webnnDeviceType'];
}

async function load(modelId: string, options: LoadOptions = {}) {
  const key = `${modelId}/${options.provider ?? 'auto'}/${options.residency ?? 'gpu'}/${options.webnnDeviceType ?? ''}`;
  const existing = pipelines.get(key);
  if (existing) return existing;
  const manifest = await loadManifest(manifestUrl);
  const model = getModel(manifest, modelId);
  const pipeline = await TextToImagePipeline.create(model, {
    ...options,
    loadStage: async (_stage, file) => {
      const response = await fetch(resolveFileUrl(model, file, manifestUrl));
      return new Uint8Array(await response.arrayBuffer());
    },
  });
  pipelines.set(key, pipeline);
  return pipeline;
}

const pipelineTest = {
  async describe(modelId: string, options?: LoadOptions) {
    const pipeline = await load(modelId, options);
    return { provider: pipeline.provider, residency: pipeline.residency, activity: pipeline.gpuActivity };
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
