/**
 * One provider of onnxruntime-node, timed the way the bench page times the browser's: warm-up images,
 * then counted ones, each the pipeline's own StageTimings. Prints one JSON line: { timings } or { error }.
 * Run by bench/provider-comparison.ts; by hand:
 *   tsx bench/node-bench.ts --provider cpu|webgpu [--model id] [--images n] [--warmup n] [--steps n]
 */
import { parseArgs } from 'node:util';
import { NodeTextToImage, type NodeProvider } from '../src/node/index.js';
import type { StageTimings } from '../src/pipeline/index.js';

const WARMUP_SEED_BASE = 1_000_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      provider: { type: 'string', default: 'cpu' },
      model: { type: 'string', default: 'tiny-fp32' },
      images: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      steps: { type: 'string', default: '1' },
      prompt: { type: 'string', default: 'a photo of a cat' },
      manifest: { type: 'string', default: './model-manifest.json' },
    },
  });
  const generator = await NodeTextToImage.load({
    model: values.model,
    provider: values.provider as NodeProvider,
    manifest: values.manifest,
  });
  try {
    const steps = Number(values.steps);
    for (let i = 1; i <= Number(values.warmup); i++) {
      await generator.generate({ prompt: values.prompt, seed: WARMUP_SEED_BASE + i, steps });
    }
    const timings: StageTimings[] = [];
    for (let seed = 1; seed <= Number(values.images); seed++) {
      timings.push((await generator.generate({ prompt: values.prompt, seed, steps })).timings);
    }
    console.log(JSON.stringify({ timings }));
  } finally {
    await generator.dispose();
  }
}

main().catch((error: unknown) => {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  console.log(JSON.stringify({ error: `${code ? `[${code}] ` : ''}${text.replace(/\s+/g, ' ')}` }));
});
