/**
 * npm run bench -- --count <n> [options]: images per second for n images in one batched UNet and VAE
 * decoder pass against n images one after another, both CPU-resident, in headless Chromium. Prints
 * figures only.
 */
import { parseArgs } from 'node:util';
import { ensureTinyModels } from '../../scripts/tiny-models/index.js';
import { launchChromium, startDevServer } from '../../tests/support/browser.js';
import type { BatchBenchConfig, BatchOutcome } from './page.js';

export const COUNT_USAGE = `usage: npm run bench -- --count <n> [options]

  --count <n>             images per batch, 2..8
  --model <id>            model id from model-manifest.json (default tiny-fp32)
  --provider webgpu|wasm  execution provider (default wasm; WebGPU runs with io cpu)
  --rounds <n>            timed rounds of each path, alternating (default 5)
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function runCountBench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      count: { type: 'string' },
      model: { type: 'string' },
      provider: { type: 'string' },
      rounds: { type: 'string' },
    },
  });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 2 || count > 8)
    throw new Error(`--count must be 2 to 8, got "${values.count}"`);
  const provider = values.provider ?? 'wasm';
  if (provider !== 'webgpu' && provider !== 'wasm') throw new Error('--provider must be webgpu or wasm');
  const rounds = Number(values.rounds ?? 5);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds must be >= 1, got "${values.rounds}"`);
  const modelId = values.model ?? 'tiny-fp32';
  if (modelId.startsWith('tiny-')) await ensureTinyModels();
  const { server, url: origin } = await startDevServer();
  const browser = await launchChromium({ webgpu: provider === 'webgpu' });
  try {
    const config: BatchBenchConfig = { modelId, provider, count, rounds };
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(1_800_000);
    await page.goto(`${origin}/bench/batch/page.html?config=${encodeURIComponent(JSON.stringify(config))}`);
    const outcome: BatchOutcome = await page.evaluate(() => window.batchOutcome);
    if (!outcome.ok) {
      process.stderr.write(`bench --count: ${outcome.message}\n`);
      return 1;
    }
    const batched = median(outcome.batchedSeconds);
    const sequential = median(outcome.sequentialSeconds);
    process.stdout.write(
      [
        `count ${count}: ${modelId} on ${outcome.provider} (io cpu), 1 step, median of ${rounds} rounds`,
        `  batched (one pass)      ${batched.toFixed(3)} s for ${count} images, ${(count / batched).toFixed(2)} images/s`,
        `  one after another       ${sequential.toFixed(3)} s for ${count} images, ${(count / sequential).toFixed(2)} images/s`,
        `  batched / sequential    ${(sequential / batched).toFixed(2)}x the images per second`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    await browser.close();
    await server.close();
  }
}
