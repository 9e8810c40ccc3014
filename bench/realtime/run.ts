/**
 * npm run bench -- --realtime [options]: images per second and edit-to-image latency while a person
 * types, beside one-shot seconds per image, through the app's GeneratorClient and a LatestRequestScheduler
 * in headless Chromium. Prints figures only.
 */
import { parseArgs } from 'node:util';
import { ensureTinyModels } from '../../scripts/tiny-models/index.js';
import { launchChromium, startDevServer } from '../../tests/support/browser.js';
import { REALTIME_CONFIG_PARAM, type RealtimeConfig, type RealtimePageOutcome } from './protocol.js';

export const REALTIME_USAGE = `usage: npm run bench -- --realtime [options]

  --model <id>            model id from model-manifest.json (default tiny-fp32)
  --provider webgpu|wasm  execution provider (default webgpu)
  --steps <n>             denoising steps, 1..4 (default 1)
  --prompt <text>         typed one character at a time (default "a lighthouse at dusk", 20 characters)
  --keystroke-ms <ms>     mean time between keystrokes (default 180: about 65 words a minute)
  --jitter-ms <ms>        keystroke gaps vary by up to this much, the same every run (default 60)
  --rounds <n>            times the prompt is typed (default 3)
  --one-shot <n>          one-shot images timed first (default 5)
  --timeout <s>           give up after this long (default 900)
`;

function positiveNumber(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min)
    throw new Error(`--${name} must be a number >= ${min}, got "${text}"`);
  return value;
}

export async function runRealtimeBench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== '--realtime'),
    options: {
      model: { type: 'string' },
      provider: { type: 'string' },
      steps: { type: 'string' },
      prompt: { type: 'string' },
      'keystroke-ms': { type: 'string' },
      'jitter-ms': { type: 'string' },
      rounds: { type: 'string' },
      'one-shot': { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(REALTIME_USAGE);
    return 0;
  }
  const provider = values.provider ?? 'webgpu';
  if (provider !== 'webgpu' && provider !== 'wasm') throw new Error(`--provider must be webgpu or wasm`);
  const modelId = values.model ?? 'tiny-fp32';
  if (modelId.startsWith('tiny-')) await ensureTinyModels();
  const { server, url: origin } = await startDevServer();
  const browser = await launchChromium({ webgpu: provider === 'webgpu' });
  try {
    const config: RealtimeConfig = {
      manifestUrl: new URL('/model-manifest.json', origin).href,
      modelId,
      provider,
      steps: positiveNumber('steps', values.steps, 1),
      prompt: values.prompt ?? 'a lighthouse at dusk',
      keystrokeMs: positiveNumber('keystroke-ms', values['keystroke-ms'], 180),
      jitterMs: positiveNumber('jitter-ms', values['jitter-ms'], 60, 0),
      rounds: positiveNumber('rounds', values.rounds, 3),
      oneShotImages: positiveNumber('one-shot', values['one-shot'], 5),
    };
    const timeoutMs = positiveNumber('timeout', values.timeout, 900) * 1000;
    const page = await (await browser.newContext()).newPage();
    page.on('console', (message) => {
      if (message.text().startsWith('[bench]')) process.stderr.write(`  ${message.text()}\n`);
      else if (message.type() === 'error') process.stderr.write(`  [error] ${message.text()}\n`);
    });
    const url = `${origin}/bench/realtime/page.html?${REALTIME_CONFIG_PARAM}=${encodeURIComponent(JSON.stringify(config))}`;
    await page.goto(url);
    page.setDefaultTimeout(timeoutMs);
    const outcome: RealtimePageOutcome = await page.evaluate(() => window.realtimeOutcome);
    if (!outcome.ok) {
      process.stderr.write(`bench --realtime: ${outcome.message}\n`);
      return 1;
    }
    const { oneShotSeconds, realtime } = outcome;
    const ms = (value: number) => `${value.toFixed(0)} ms`;
    process.stdout.write(
      [
        `real-time: ${modelId} on ${outcome.provider}, ${config.steps} step(s); "${config.prompt}" typed ` +
          `${config.rounds}x at ${outcome.typedKeystrokeMs.toFixed(0)} ms a keystroke`,
        `  one-shot seconds per image   median ${oneShotSeconds.medianMs.toFixed(3)} s, p90 ${oneShotSeconds.p90Ms.toFixed(3)} s (${oneShotSeconds.count} images)`,
        `  while typing                 ${realtime.imagesPerSecond.toFixed(2)} images/s; ${realtime.generated} images for ${realtime.requested} edits (${realtime.superseded} replaced before they started, ${realtime.failed} failed)`,
        `  edit-to-image latency        median ${ms(realtime.editToImage.medianMs)}, p90 ${ms(realtime.editToImage.p90Ms)} (${realtime.editToImage.count} edits)`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    await browser.close();
    await server.close();
  }
}
