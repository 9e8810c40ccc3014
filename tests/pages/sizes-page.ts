/**
 * Test page: `<sd-turbo>` with a `width` and `height`, beside the same image computed stage by stage with
 * onnxruntime-web's own sessions (no pipeline code but the tokenizer, the scheduler's numbers and the
 * pixel rounding), with the spatial dimensions fixed here by hand: what the element makes at a size must be
 * what the graphs give at that size.
 */
import * as ort from 'onnxruntime-web/webgpu';
import '../../src/components/index.js';
import {
  TextToImagePipeline,
  getModel,
  latentsToPixels,
  loadManifest,
  resolveFileUrl,
  sizedModelEntry,
  tokenizePrompt,
} from '../../src/pipeline/index.js';
import { EulerTrailingScheduler, gaussianNoise } from '../../src/scheduler/index.js';

/** One image: a model of the manifest at `manifest` (default /model-manifest.json), at width x height. */
export interface SizedImageSpec {
  manifest?: string;
  modelId: string;
  prompt: string;
  seed: number;
  width: number;
  height: number;
}

async function modelOf(spec: SizedImageSpec) {
  const manifestUrl = new URL(spec.manifest ?? '/model-manifest.json', location.href).href;
  return { manifestUrl, model: getModel(await loadManifest(manifestUrl), spec.modelId) };
}

async function session(
  spec: SizedImageSpec,
  stage: 'textEncoder' | 'unet' | 'vaeDecoder',
  overrides: Record<string, number>,
) {
  const { manifestUrl, model } = await modelOf(spec);
  const response = await fetch(resolveFileUrl(model, model.stages[stage].file, manifestUrl));
  return ort.InferenceSession.create(new Uint8Array(await response.arrayBuffer()), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    freeDimensionOverrides: overrides,
  });
}

/** RGBA of a bitmap, drawn into a 2d canvas (lossless for opaque pixels). */
function bitmapPixels(bitmap: ImageBitmap): number[] {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0);
  return Array.from(context.getImageData(0, 0, bitmap.width, bitmap.height).data);
}

const sizesTest = {
  bitmapPixels,

  /**
   * One step on wasm with a model whose stages have the ort-web exports' names and FP32 IO (tiny-fp32, the
   * narrow stand-in): text encoder, UNet, Euler step and VAE decoder at width x height.
   */
  async stageByStage(spec: SizedImageSpec): Promise<number[]> {
    const { prompt, seed, width, height } = spec;
    const [latentWidth, latentHeight] = [width / 8, height / 8];
    const textEncoder = await session(spec, 'textEncoder', { batch_size: 1 });
    // The UNet's and VAE decoder's batch dimension stays free, as the pipeline leaves it on wasm where the
    // heap holds a batch (`requires.wasm.heapBytesPerImage`, as both models have): the same graphs exactly.
    const unet = await session(spec, 'unet', {
      num_channels: 4,
      height: latentHeight,
      width: latentWidth,
      sequence_length: 77,
    });
    const vaeDecoder = await session(spec, 'vaeDecoder', {
      num_channels_latent: 4,
      height_latent: latentHeight,
      width_latent: latentWidth,
    });
    const tokens = await tokenizePrompt(prompt, { maxLength: 77, padId: 0 });
    const hidden = (await textEncoder.run({ input_ids: new ort.Tensor('int32', tokens.ids, [1, 77]) }))
      .last_hidden_state;
    const scheduler = new EulerTrailingScheduler();
    scheduler.setTimesteps(1);
    const latentShape = [1, 4, latentHeight, latentWidth];
    const x = gaussianNoise(seed, 4 * latentHeight * latentWidth).map((v) => v * scheduler.initNoiseSigma);
    const sample = x.map((v) => v * scheduler.inputScale(0));
    const noisePred = (
      await unet.run({
        sample: new ort.Tensor('float32', sample, latentShape),
        timestep: new ort.Tensor('int64', BigInt64Array.of(BigInt(scheduler.timesteps[0])), [1]),
        encoder_hidden_states: hidden,
      })
    ).out_sample.data as Float32Array;
    const coefficient = scheduler.stepCoefficient(0);
    const latents = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      x[i] += noisePred[i] * coefficient;
      latents[i] = x[i] * (1 / 0.18215);
    }
    const image = (await vaeDecoder.run({ latent_sample: new ort.Tensor('float32', latents, latentShape) }))
      .sample;
    expectShape(image.dims, [1, 3, height, width]);
    await Promise.all([textEncoder.release(), unet.release(), vaeDecoder.release()]);
    return Array.from(latentsToPixels(image.data as Float32Array, width, height));
  },

  /** The same image from the pipeline, loaded on wasm for the size with `sizedModelEntry`. */
  async pipelineImage(spec: SizedImageSpec) {
    const { manifestUrl, model } = await modelOf(spec);
    const sized = sizedModelEntry(model, { width: spec.width, height: spec.height });
    const pipeline = await TextToImagePipeline.create(sized, {
      provider: 'wasm',
      loadStage: async (_stage, file) =>
        new Uint8Array(await (await fetch(resolveFileUrl(model, file, manifestUrl))).arrayBuffer()),
    });
    try {
      const result = await pipeline.generate({ prompt: spec.prompt, seed: spec.seed, steps: 1 });
      return { width: result.width, height: result.height, pixels: Array.from(result.pixels!) };
    } finally {
      await pipeline.dispose();
    }
  },
};

function expectShape(actual: readonly number[], expected: readonly number[]): void {
  if (actual.join('x') !== expected.join('x')) {
    throw new Error(`The VAE decoder gave ${actual.join('x')}, not ${expected.join('x')}.`);
  }
}

declare global {
  interface Window {
    sizesTest: typeof sizesTest;
  }
}
window.sizesTest = sizesTest;
document.body.dataset.ready = 'true';
