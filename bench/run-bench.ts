/**
 * npm run bench -- [options]: seconds per image and where they go, in headless Chromium.
 *
 * Serves the repository with a Vite dev server on loopback, stores the model's weights in the browser's
 * IndexedDB through the app's downloader (one page), then opens a fresh page that loads them the app's
 * way and makes the warm-up and counted images (the cold start runs from that page's navigation to its
 * first image). Prints figures only: nothing here passes or fails on a time.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, homedir, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';
import { REPO_ROOT, ensureTinyModels } from '../scripts/tiny-models/index.js';
import { getModel, parseManifest } from '../src/pipeline/model/manifest.js';
import { CHROMIUM_FLAGS, WEBGPU_FLAGS, startDevServer } from '../tests/support/browser.js';
import { CpuMarks, MemorySampler, type MemoryPeak } from './process-memory.js';
import {
  BENCH_CONFIG_PARAM,
  CPU_MARK_FUNCTION,
  END_MARK,
  type BenchConfig,
  type OptimizationLevel,
  type PageOutcome,
  type Variant,
} from './protocol.js';
import {
  BROWSER_PROVIDERS,
  NODE_PROVIDERS,
  formatProviderComparison,
  runNodeProvider,
  type ProviderRow,
} from './provider-comparison.js';
import { COUNT_USAGE, runCountBench } from './batch/run.js';
import { REALTIME_USAGE, runRealtimeBench } from './realtime/run.js';
import { formatBench, summarizeBench } from './report.js';

const USAGE = `usage: npm run bench -- [options]

  --model <id>            model id from model-manifest.json (default tiny-fp32)
  --provider webgpu|wasm  execution provider (default webgpu)
  --io gpu|cpu            gpu: tensors stay on the GPU between stages; cpu: read back after each stage
                          (WebGPU only; wasm is always cpu) (default gpu)
  --compare-io            the same as --compare io
  --compare <knob>        load one pipeline per setting of the knob in the same page and alternate
                          images between them (robust on a noisy machine), then print the ratios:
                            io         --io gpu and --io cpu ("GPU-resident is X× faster")
                            opt-level  all, extended, basic, disabled
                            free-dims  on, off
                            graph-capture  off, on (WebGPU, io gpu)
                            provider   every provider in one table: the browser's webgpu, wasm,
                                       webnn and webgl (each on its own page, one after another),
                                       then onnxruntime-node's cpu and webgpu (a child process each);
                                       a provider that cannot run the model shows its measured reason
                          (one pipeline per setting: the model's memory once per setting)
  --images <n>            counted images (default 10)
  --warmup <n>            warm-up images before them, at least (default 2)
  --warmup-seconds <s>    and for at least this long (default 5; 0: count only): ORT's wasm gets its
                          optimized code seconds after the first run, so a few fast images are
                          not a warm-up
  --steps <n>             denoising steps, 1..4 (default 1)
  --prompt <text>         (default "a photo of a cat")
  --host-images <n>       after the counted images, n more per pipeline with a CPU mark at every stage:
                          the renderer's and GPU process's CPU ms and the GPU dispatches and submits
                          per stage and per UNet step (default 3; 0: none)
  --graph-capture         ORT enableGraphCapture (WebGPU, io gpu)
  --opt-level <level>     graphOptimizationLevel for every stage: disabled|basic|extended|all
                          (default: the manifest's, else ORT's 'all')
  --free-dims on|off      the manifest's freeDimensionOverrides (default on)
  --wasm-threads <n>      ort.env.wasm.numThreads (default ORT's: half the logical cores, at most 4)
  --chromium <path>       browser executable (default /usr/bin/chromium, or $CHROMIUM_PATH)
  --flag <flag>           extra Chromium flag, repeatable; --flags "<flag> <flag>" adds several
  --headed                run the browser with a window (some GPU drivers need it)
  --profile <dir>         browser profile; the weights stay stored there between runs
                          (default ~/.cache/sd-turbo-web/bench-profile)
  --manifest <url|path>   manifest URL, or a path served from the repository (default /model-manifest.json)
  --mirror <baseUrl>      fetch the weights from here instead of the manifest's baseUrl
                          (a folder made by npm run models:pull, e.g. /weights/sd-turbo/)
  --timeout <s>           give up on one page after this long (default 1800)
  --json <file>           also write every figure and every image's record as JSON
  --count <n>             instead: images per second for n images in one batched pass against n one
                          after another (npm run bench -- --count 4; see bench/batch/run.ts)
  --realtime              instead: images per second and edit-to-image latency while a prompt is
                          typed (npm run bench -- --realtime --help)
`;

class UsageError extends Error {}

/**
 * Outside the repository on purpose: Chromium writes to its profile all the time, and anything that
 * watches or lists the tree (a dev server, a test run beside this one) would pay for it.
 */
const DEFAULT_PROFILE_DIR = join(homedir(), '.cache', 'sd-turbo-web', 'bench-profile');

const COMPARE_KNOBS = ['io', 'opt-level', 'free-dims', 'graph-capture', 'provider'] as const;
type CompareKnob = (typeof COMPARE_KNOBS)[number];

interface Options {
  modelId: string;
  provider: 'webgpu' | 'wasm';
  io: 'gpu' | 'cpu';
  compare?: CompareKnob;
  images: number;
  warmups: number;
  warmupSeconds: number;
  steps: number;
  prompt: string;
  hostImages: number;
  graphCapture: boolean;
  optimizationLevel?: OptimizationLevel;
  freeDimensionOverrides: boolean;
  wasmThreads?: number;
  chromiumPath: string;
  flags: string[];
  headed: boolean;
  profileDir: string;
  manifest: string;
  mirror?: string;
  timeoutMs: number;
  json?: string;
}

function integer(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max = Infinity,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(
      `--${name} must be an integer from ${min}${max < Infinity ? ` to ${max}` : ''}, got "${text}"`,
    );
  }
  return value;
}

function oneOf<T extends string>(
  name: string,
  text: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${text}"`);
  }
  return text as T;
}

/**
 * node:util's parseArgs refuses `--flag --enable-unsafe-webgpu` as ambiguous; a Chromium flag always
 * starts with dashes, so the word after --flag/--flags is taken as its value.
 */
function attachFlagValues(argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if ((arg === '--flag' || arg === '--flags') && i + 1 < argv.length) joined.push(`${arg}=${argv[++i]}`);
    else joined.push(arg);
  }
  return joined;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values, positionals } = parseArgs({
    args: attachFlagValues(argv),
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      provider: { type: 'string' },
      io: { type: 'string' },
      'compare-io': { type: 'boolean' },
      compare: { type: 'string' },
      images: { type: 'string' },
      warmup: { type: 'string' },
      'warmup-seconds': { type: 'string' },
      steps: { type: 'string' },
      prompt: { type: 'string' },
      'host-images': { type: 'string' },
      'graph-capture': { type: 'boolean' },
      'opt-level': { type: 'string' },
      'free-dims': { type: 'string' },
      'wasm-threads': { type: 'string' },
      chromium: { type: 'string' },
      flag: { type: 'string', multiple: true },
      flags: { type: 'string', multiple: true },
      headed: { type: 'boolean' },
      profile: { type: 'string' },
      manifest: { type: 'string' },
      mirror: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const provider = oneOf('provider', values.provider, ['webgpu', 'wasm'] as const, 'webgpu');
  const compare = values['compare-io']
    ? 'io'
    : values.compare === undefined
      ? undefined
      : oneOf('compare', values.compare, COMPARE_KNOBS, 'io');
  if (compare === 'io' && provider !== 'webgpu') throw new UsageError('--compare io needs --provider webgpu');
  // Comparing a knob sets it per pipeline (each knob is named as its option): a value given beside it
  // would be silently overridden.
  if (compare && values[compare] !== undefined) {
    throw new UsageError(`--compare ${compare} sets --${compare} itself; leave --${compare} out`);
  }
  const optimizationLevel =
    values['opt-level'] === undefined
      ? undefined
      : oneOf('opt-level', values['opt-level'], ['disabled', 'basic', 'extended', 'all'] as const, 'all');
  return {
    modelId: values.model ?? 'tiny-fp32',
    provider,
    io: oneOf('io', values.io, ['gpu', 'cpu'] as const, 'gpu'),
    compare,
    images: integer('images', values.images, 10, 1),
    warmups: integer('warmup', values.warmup, 2, 0),
    warmupSeconds: integer('warmup-seconds', values['warmup-seconds'], 5, 0),
    steps: integer('steps', values.steps, 1, 1, 4),
    prompt: values.prompt ?? 'a photo of a cat',
    hostImages: integer('host-images', values['host-images'], 3, 0),
    graphCapture: values['graph-capture'] ?? false,
    optimizationLevel,
    freeDimensionOverrides: oneOf('free-dims', values['free-dims'], ['on', 'off'] as const, 'on') === 'on',
    wasmThreads:
      values['wasm-threads'] === undefined
        ? undefined
        : integer('wasm-threads', values['wasm-threads'], 1, 1, 64),
    chromiumPath: values.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    flags: [
      ...(values.flag ?? []),
      ...(values.flags ?? []).flatMap((group) => group.split(/\s+/).filter(Boolean)),
    ],
    headed: values.headed ?? false,
    profileDir: resolve(values.profile ?? DEFAULT_PROFILE_DIR),
    manifest: values.manifest ?? '/model-manifest.json',
    mirror: values.mirror,
    timeoutMs: integer('timeout', values.timeout, 1800, 1) * 1000,
    json: values.json,
  };
}

/** The pipelines to load: one, or one per setting of the compared knob (the first is the baseline). */
function variantsFor(options: Options): Variant[] {
  const base: Variant = {
    label: options.provider === 'wasm' ? 'wasm' : `io ${options.io}`,
    residency: options.io,
    graphOptimizationLevel: options.optimizationLevel,
    freeDimensionOverrides: options.freeDimensionOverrides,
    enableGraphCapture: options.graphCapture,
  };
  switch (options.compare) {
    case undefined:
      return [base];
    case 'io':
      return (['gpu', 'cpu'] as const).map((io) => ({ ...base, label: `io ${io}`, residency: io }));
    case 'opt-level':
      return (['all', 'extended', 'basic', 'disabled'] as const).map((level) => ({
        ...base,
        label: `opt-level ${level}`,
        graphOptimizationLevel: level,
      }));
    case 'free-dims':
      return [true, false].map((on) => ({
        ...base,
        label: `free-dims ${on ? 'on' : 'off'}`,
        freeDimensionOverrides: on,
      }));
    case 'graph-capture':
      return [false, true].map((on) => ({
        ...base,
        label: `graph capture ${on ? 'on' : 'off'}`,
        enableGraphCapture: on,
      }));
    case 'provider':
      // One page per provider (compareProviders), each with this one pipeline.
      return [base];
  }
}

function benchConfig(options: Options, origin: string, mode: BenchConfig['mode']): BenchConfig {
  return {
    mode,
    manifestUrl: new URL(options.manifest, origin).href,
    modelId: options.modelId,
    mirrorBaseUrl: options.mirror,
    provider: options.provider,
    variants: variantsFor(options),
    images: options.images,
    warmups: options.warmups,
    warmupSeconds: options.warmupSeconds,
    steps: options.steps,
    prompt: options.prompt,
    enableGraphCapture: options.graphCapture,
    wasmThreads: options.wasmThreads,
    hostImages: options.hostImages,
  };
}

async function browserVersion(path: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(path, ['--version']);
    return stdout.trim();
  } catch (error) {
    return `unknown (${path} --version failed: ${(error as Error).message.split('\n')[0]})`;
  }
}

/**
 * Opens the bench page with this config in a fresh tab and waits for its outcome; `beforeClose` runs
 * while the page (and its loaded model) is still there, then the tab is closed. The page's CPU marks
 * go to `cpuMarks`.
 */
async function runPage(
  context: BrowserContext,
  origin: string,
  config: BenchConfig,
  timeoutMs: number,
  beforeClose: () => void = () => {},
  cpuMarks = new CpuMarks(),
): Promise<PageOutcome> {
  const page = await context.newPage();
  await page.exposeFunction(CPU_MARK_FUNCTION, (label: string) => cpuMarks.mark(label));
  page.on('console', (message) => {
    if (message.text().startsWith('[bench]')) process.stderr.write(`  ${message.text()}\n`);
    else if (message.type() === 'error' || message.type() === 'warning') {
      // "Failed to load resource" names no URL in its text; the location does.
      const where = message.location().url;
      process.stderr.write(`  [${message.type()}] ${message.text()}${where ? ` (${where})` : ''}\n`);
    }
  });
  page.on('pageerror', (error) => process.stderr.write(`  [page error] ${error.message}\n`));
  let timer: NodeJS.Timeout | undefined;
  try {
    const url = `${origin}/bench/page.html?${BENCH_CONFIG_PARAM}=${encodeURIComponent(JSON.stringify(config))}`;
    await page.goto(url);
    const outcome = page.evaluate(() => window.benchOutcome);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the bench page took longer than ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
    });
    return await Promise.race([outcome, timeout]);
  } finally {
    clearTimeout(timer);
    beforeClose();
    await page.close();
  }
}

function failureText(outcome: Extract<PageOutcome, { mode: 'failed' }>): string {
  const { phase, error } = outcome;
  return `${phase} failed after ${outcome.images.length} image(s): ${error.name}${error.code ? ` [${error.code}]` : ''}: ${error.message}`;
}

/** A mistyped --model is reported with the ids the manifest has, before a browser is started. */
async function checkModelId(options: Options): Promise<void> {
  if (/^[a-z]+:/i.test(options.manifest)) return;
  const path = join(REPO_ROOT, options.manifest);
  const manifest = parseManifest(JSON.parse(await readFile(path, 'utf8')), options.manifest);
  getModel(manifest, options.modelId);
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--count')) {
    try {
      return await runCountBench(argv);
    } catch (error) {
      process.stderr.write(`bench --count: ${(error as Error).message}\n${COUNT_USAGE}`);
      return 2;
    }
  }
  if (argv.includes('--realtime')) {
    try {
      return await runRealtimeBench(argv);
    } catch (error) {
      process.stderr.write(`bench --realtime: ${(error as Error).message}\n${REALTIME_USAGE}`);
      return 2;
    }
  }
  let options: Options | undefined;
  try {
    options = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }

  try {
    await checkModelId(options);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    return 2;
  }
  if (options.modelId.startsWith('tiny-')) await ensureTinyModels();
  if (options.compare === 'provider') return compareProviders(options);
  const version = await browserVersion(options.chromiumPath);
  const { server, url: origin } = await startDevServer();
  const sampler = new MemorySampler();
  const flags = [
    ...CHROMIUM_FLAGS,
    ...(options.provider === 'webgpu' ? WEBGPU_FLAGS : []),
    // performance.measureUserAgentSpecificMemory() answers at once instead of at the next GC.
    '--enable-blink-features=ForceEagerMeasureMemory',
    ...options.flags,
  ];
  const context = await chromium.launchPersistentContext(options.profileDir, {
    executablePath: options.chromiumPath,
    headless: !options.headed,
    args: flags,
  });
  const config = benchConfig(options, origin, 'run');
  const cpuMarks = new CpuMarks();
  let outcome: PageOutcome;
  let memory: MemoryPeak | undefined;
  try {
    // The persistent context opens with a blank tab; closing it leaves only the pages under test.
    await Promise.all(context.pages().map((page) => page.close()));
    process.stderr.write(
      `bench: storing ${options.modelId} in the browser's IndexedDB (no-op when already stored)\n`,
    );
    const prepared = await runPage(
      context,
      origin,
      benchConfig(options, origin, 'prepare'),
      options.timeoutMs,
    );
    if (prepared.mode === 'failed') throw new Error(`could not store the weights: ${failureText(prepared)}`);

    const what = config.variants.map((variant) => variant.label).join(', ');
    process.stderr.write(
      `bench: ${options.warmups}+ warm-up(s) (${options.warmupSeconds}+ s) + ${options.images} image(s): ${what}\n`,
    );
    sampler.start();
    outcome = await runPage(
      context,
      origin,
      config,
      options.timeoutMs,
      () => {
        memory = sampler.stop();
      },
      cpuMarks,
    );
  } finally {
    sampler.stop();
    await context.close();
    await server.close();
  }
  const cpu = sampler.cpuUse();

  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    chromium: version,
    chromiumPath: options.chromiumPath,
    flags,
  };
  const heading = `sd-turbo-web benchmark: ${machine.chromium}; ${machine.cpus} CPU(s) (${machine.cpuModel}), ${machine.memoryGiB} GiB\n`;
  const summary =
    outcome.mode === 'run'
      ? summarizeBench(config, outcome, memory ?? sampler.stop(), cpu, cpuMarks.segments(END_MARK))
      : undefined;
  const failure = outcome.mode === 'failed' ? failureText(outcome) : undefined;
  process.stdout.write(
    `${heading}\n${summary ? formatBench(summary) : `FAILED: ${failure ?? 'the page did not run'}\n`}`,
  );

  if (options.json) {
    const report = {
      tool: 'sd-turbo-web bench',
      date: new Date().toISOString(),
      command: `npm run bench -- ${argv.join(' ')}`.trim(),
      machine,
      config,
      failure,
      // A failed run still records the images it made.
      ...(summary ?? { images: outcome.mode === 'failed' ? outcome.images : [] }),
    };
    await writeFile(options.json, `${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`bench: wrote ${options.json}\n`);
  }
  return summary ? 0 : 1;
}

/** Where the Node rows read the manifest: a URL as is, a served path from the repository. */
function manifestForNode(manifest: string): string {
  return /^[a-z]+:/i.test(manifest) ? manifest : join(REPO_ROOT, manifest);
}

function outcomeReason(outcome: PageOutcome): string {
  if (outcome.mode !== 'failed') return `the page ended in mode ${outcome.mode}`;
  const { name, code, message } = outcome.error;
  return `${outcome.phase} failed: ${name}${code ? ` [${code}]` : ''}: ${message}`;
}

/** --compare provider: every provider the browser has, then onnxruntime-node's, in one table. */
async function compareProviders(options: Options): Promise<number> {
  const version = await browserVersion(options.chromiumPath);
  const { server, url: origin } = await startDevServer();
  // WebNN's flag, so that navigator.ml exists and the row shows why createContext fails, if it does.
  const flags = [
    ...CHROMIUM_FLAGS,
    ...WEBGPU_FLAGS,
    '--enable-features=WebMachineLearningNeuralNetwork',
    ...options.flags,
  ];
  const context = await chromium.launchPersistentContext(options.profileDir, {
    executablePath: options.chromiumPath,
    headless: !options.headed,
    args: flags,
  });
  const rows: ProviderRow[] = [];
  try {
    await Promise.all(context.pages().map((page) => page.close()));
    const prepared = await runPage(
      context,
      origin,
      benchConfig(options, origin, 'prepare'),
      options.timeoutMs,
    );
    if (prepared.mode === 'failed') throw new Error(`could not store the weights: ${failureText(prepared)}`);
    for (const provider of BROWSER_PROVIDERS) {
      process.stderr.write(`bench: browser ${provider}\n`);
      // No host pass: this table compares seconds per image.
      const base = { ...benchConfig(options, origin, 'run'), hostImages: 0 };
      const residency = provider === 'webgpu' ? 'gpu' : 'cpu';
      const config: BenchConfig = {
        ...base,
        provider,
        variants: base.variants.map((variant) => ({ ...variant, label: provider, residency })),
      };
      const outcome = await runPage(context, origin, config, options.timeoutMs);
      if (outcome.mode === 'run') {
        const counted = outcome.images.filter((image) => !image.warmup);
        const load = outcome.loads[0];
        rows.push({
          label: `browser ${provider}`,
          io: load.provider.provider === 'webgpu' ? load.residency : `cpu (${load.provider.provider})`,
          timings: counted.map((image) => image.timings),
          readbacks: Math.max(...counted.map((image) => image.readbacks)),
        });
      } else {
        rows.push({ label: `browser ${provider}`, timings: [], reason: outcomeReason(outcome) });
      }
    }
  } finally {
    await context.close();
    await server.close();
  }
  for (const provider of NODE_PROVIDERS) {
    process.stderr.write(`bench: node ${provider}\n`);
    rows.push(
      await runNodeProvider(provider, {
        modelId: options.modelId,
        images: options.images,
        warmups: options.warmups,
        steps: options.steps,
        prompt: options.prompt,
        manifest: manifestForNode(options.manifest),
      }),
    );
  }
  const machine = `${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'}), ${Math.round((totalmem() / 2 ** 30) * 10) / 10} GiB`;
  process.stdout.write(
    `sd-turbo-web provider comparison: ${version}; node ${process.version}; ${machine}\n` +
      `${options.warmups} warm-up + ${options.images} counted image(s) per provider, ${options.steps} step(s)\n\n` +
      formatProviderComparison(options.modelId, rows),
  );
  if (options.json) {
    await writeFile(
      options.json,
      `${JSON.stringify({ tool: 'sd-turbo-web bench --compare provider', date: new Date().toISOString(), chromium: version, flags, rows }, null, 2)}\n`,
    );
  }
  return rows.some((row) => row.timings.length > 0) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
