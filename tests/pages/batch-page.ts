/**
 * Test page: one pipeline loaded for a batch (`batchedModelEntry`) beside one for single images, so that
 * Playwright can compare a batch's images with the single images of the same seeds.
 */
import {
  TextToImagePipeline,
  batchedModelEntry,
  getModel,
  loadManifest,
  resolveFileUrl,
  type ModelEntry,
  type PipelineOptions,
} from '../../src/pipeline/index.js';
import { outcome } from './outcome.js';

const manifestUrl = new URL('/model-manifest.json', location.href).href;

async function load(model: ModelEntry, provider: PipelineOptions['provider']) {
  return TextToImagePipeline.create(model, {
    provider,
    residency: 'cpu',
    // Both pipelines with the batch the manifest fixes: wasm would otherwise leave the single one's free.
    fixedBatch: true,
    loadStage: async (_stage, file) =>
      new Uint8Array(await (await fetch(resolveFileUrl(model, file, manifestUrl))).arrayBuffer()),
  });
}

const batchTest = {
  /** The batch's pixels and the single images' pixels for the same seeds, and the batch's seconds. */
  compare(modelId: string, provider: PipelineOptions['provider'], prompt: string, seeds: number[]) {
    return outcome(async () => {
      const model = getModel(await loadManifest(manifestUrl), modelId);
      const batched = await load(batchedModelEntry(model, seeds.length), provider);
      const single = await load(model, provider);
      const batch = await batched.generateBatch({ prompt, seeds, steps: 1 });
      const singles = [];
      for (const seed of seeds) singles.push(await single.generate({ prompt, seed, steps: 1 }));
      const mismatch = await outcome(() => batched.generateBatch({ prompt, seeds: [1], steps: 1 }));
      await Promise.all([batched.dispose(), single.dispose()]);
      return {
        provider: batched.provider.provider,
        batchSize: batched.batchSize,
        seeds: batch.map((image) => image.seed),
        batch: batch.map((image) => Array.from(image.pixels!)),
        singles: singles.map((image) => Array.from(image.pixels!)),
        mismatch: mismatch.message,
      };
    });
  },
};

declare global {
  interface Window {
    batchTest: typeof batchTest;
  }
}
window.batchTest = batchTest;
document.body.dataset.ready = 'true';
