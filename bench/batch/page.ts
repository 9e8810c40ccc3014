/**
 * The `--count` benchmark's page: one pipeline loaded for a batch of `count` and one for single images,
 * both CPU-resident; rounds alternate between a batch in one pass and `count` images one after another,
 * so a noisy machine's drift falls on both alike. Resolves `window.batchOutcome` with images per second.
 */
import {
  TextToImagePipeline,
  batchedModelEntry,
  getModel,
  loadManifest,
  resolveFileUrl,
  type ModelEntry,
} from '../../src/pipeline/index.js';

export interface BatchBenchConfig {
  modelId: string;
  provider: 'webgpu' | 'wasm';
  count: number;
  rounds: number;
}

export type BatchOutcome =
  | { ok: true; provider: string; batchedSeconds: number[]; sequentialSeconds: number[] }
  | { ok: false; message: string };

const config = JSON.parse(new URLSearchParams(location.search).get('config')!) as BatchBenchConfig;
const manifestUrl = new URL('/model-manifest.json', location.href).href;

function load(model: ModelEntry) {
  return TextToImagePipeline.create(model, {
    provider: config.provider,
    residency: 'cpu',
    loadStage: async (_stage, file) =>
      new Uint8Array(await (await fetch(resolveFileUrl(model, file, manifestUrl))).arrayBuffer()),
  });
}

async function run(): Promise<BatchOutcome> {
  const model = getModel(await loadManifest(manifestUrl), config.modelId);
  const batched = await load(batchedModelEntry(model, config.count));
  const single = await load(model);
  const prompt = 'a photo of a cat';
  const seeds = Array.from({ length: config.count }, (_, index) => index + 1);
  const batch = () => batched.generateBatch({ prompt, seeds, steps: 1 });
  const oneByOne = async () => {
    for (const seed of seeds) await single.generate({ prompt, seed, steps: 1 });
  };
  const timed = async (action: () => Promise<unknown>) => {
    const started = performance.now();
    await action();
    return (performance.now() - started) / 1000;
  };
  await batch();
  await oneByOne();
  const batchedSeconds: number[] = [];
  const sequentialSeconds: number[] = [];
  for (let round = 0; round < config.rounds; round++) {
    // ABBA order: neither path always runs first.
    const order = round % 2 === 0 ? [true, false] : [false, true];
    for (const isBatch of order) {
      if (isBatch) batchedSeconds.push(await timed(batch));
      else sequentialSeconds.push(await timed(oneByOne));
    }
  }
  return { ok: true, provider: batched.provider.provider, batchedSeconds, sequentialSeconds };
}

declare global {
  interface Window {
    batchOutcome: Promise<BatchOutcome>;
  }
}
window.batchOutcome = run().catch((error: Error) => ({ ok: false, message: error.message }));
