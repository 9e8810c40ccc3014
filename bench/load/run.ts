/**
 * npm run bench:load -- --model <id> [options]: what it takes to get a model from a server into its
 * ready ORT sessions in headless Chromium, the app's way: the files are served by a Range server on
 * loopback, stored in IndexedDB by the real downloader (a fresh browser profile each run), then read
 * back and loaded in a Worker. Prints figures and writes them as JSON; nothing here passes or fails on
 * a number.
 *
 * Memory is RSS read from /proc every 100 ms, per kind of Chromium process (renderer: the page, its
 * Workers, ORT's wasm heap and the bytes handed to ORT; GPU process: every GPU buffer, since SwiftShader's
 * "GPU memory" is ordinary memory there), and kept apart for the download, the load and the images.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { getModel, parseManifest } from '../../src/pipeline/model/manifest.js';
import { modelStageNames, type ModelEntry } from '../../src/pipeline/model/manifest-types.js';
import { REPO_ROOT, ensureTinyModels } from '../../scripts/tiny-models/index.js';
import { CHROMIUM_FLAGS, CHROMIUM_PATH, WEBGPU_FLAGS, startDevServer } from '../../tests/support/browser.js';
import { DiskFileServer } from '../download/file-server.js';
import { MemoryTrace } from './memory-trace.js';
import { PeakMemoryByKind, type KindPeaks } from '../process-memory.js';
import {
  LOAD_PHASES,
  PHASE_MARK,
  SESSION_MARK,
  STAGE_MARK,
  type LoadBenchConfig,
  type LoadPageOutcome,
} from './protocol.js';

const USAGE = `usage: npm run bench:load -- --model <id> [options]

  --model <id>            a model id of the manifest (default tiny-fp32)
  --provider webgpu|wasm  execution provider (default webgpu)
  --manifest <path>       manifest file in the repository (default: models/standin-manifest.json for
                          standin-* ids, else model-manifest.json)
  --dir <folder>          the folder holding the model's files (default: the manifest entry's baseUrl
                          resolved next to the manifest; for sd-turbo, a folder made by npm run models:pull)
  --no-image              only download and load (firstImageMs and warmupMs are then null)
  --warm                  a warm start: one page load stores the model, a second one loads it (readyMs,
                          per stage readMs and sessionMs, verifyMs and warmupMs in detail); the digests
                          are checked once the sessions exist, from the chunks read back, as the app does
  --verify-first          with --warm: check each stage's digest before its session (the old critical path)
  --memory auto|resident|low  the pipeline's memory mode (default auto; low: one stage at a time)
  --text-encoder same|wasm    where the text encoder runs (default same; wasm: on wasm with its stored
                          weights beside WebGPU, the pipeline's textEncoderProvider)
  --text-encoder-only     instead of images: time the text encoder alone on one prompt, 4 runs after load
                          (detail.textEncoderMs), where a whole image is too slow
  --size <px>|<w>x<h>     the image size to load the model for, within its manifest's sizes (default:
                          the model's own; smaller sizes let SwiftShader finish an image)
  --unet-parts <n>        with --memory low: run the UNet in n parts, one at a time (default: the
                          pipeline's choice, 6 for SD-Turbo's sizes; 1 runs it whole)
  --json <file>           also write the figures as JSON
  --trace <file>          also write every memory sample (GPU process and renderer, every 100 ms) and
                          every phase, stage and session mark with its time, as tab-separated lines; the
                          report then says between which marks each phase's GPU-process peak fell
  --timeout <s>           give up after this long, reporting the peaks so far (default 3600)
`;

class UsageError extends Error {}

interface Options {
  modelId: string;
  provider: 'webgpu' | 'wasm';
  manifestPath: string;
  dir?: string;
  images: boolean;
  warm: boolean;
  verifyFirst: boolean;
  memory: LoadBenchConfig['memory'];
  textEncoder: LoadBenchConfig['textEncoder'];
  textEncoderOnly: boolean;
  size?: { width: number; height: number };
  unetParts?: number;
  json?: string;
  trace?: string;
  timeoutMs: number;
}

/** The figures the issue asks for, under exactly these keys, then the detail behind them. */
export interface LoadBenchReport {
  model: string;
  provider: string;
  /** The memory mode the pipeline loaded in ('resident' or 'low'). */
  memory: string | null;
  bytesDownloaded: number;
  downloadMs: number | null;
  loadMs: number | null;
  wasmHeapBytesAfterLoad: number | null;
  peakRendererBytes: number | null;
  peakGpuProcessBytes: number | null;
  firstImageMs: number | null;
  ok: boolean;
  error: string | null;
  detail: {
    modelBytes: number;
    readWeightsMs: number | null;
    steadyImageMs: number | null;
    steadyImageStageSessions: LoadPageOutcome['steadyImageStageSessions'];
    /** Where each stage ran, as `provider/precision`. */
    placement: LoadPageOutcome['placement'];
    /** With --text-encoder-only: each run's text encoder milliseconds. */
    textEncoderMs: number[] | null;
    imageSkipped: string | null;
    /** With --warm: the second page load, from the first read to every session existing. */
    readyMs?: number | null;
    stages?: { stage: string; readMs: number; sessionMs: number }[];
    verifyMs?: number | null;
    warmupMs?: number | null;
    verifyFirst?: boolean;
    /** Peak RSS per process kind in each phase. */
    peaksByPhase: Record<string, KindPeaks>;
    chromium: string;
    date: string;
    command: string;
  };
}

function parseOptions(argv: string[]): Options | undefined {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      provider: { type: 'string' },
      manifest: { type: 'string' },
      dir: { type: 'string' },
      'no-image': { type: 'boolean' },
      warm: { type: 'boolean' },
      'verify-first': { type: 'boolean' },
      memory: { type: 'string' },
      'text-encoder': { type: 'string' },
      'text-encoder-only': { type: 'boolean' },
      size: { type: 'string' },
      'unet-parts': { type: 'string' },
      json: { type: 'string' },
      trace: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const provider = values.provider ?? 'webgpu';
  if (provider !== 'webgpu' && provider !== 'wasm') {
    throw new UsageError(`--provider must be webgpu or wasm, got "${provider}"`);
  }
  if (values['verify-first'] && !values.warm) throw new UsageError('--verify-first needs --warm');
  const memory = values.memory ?? 'auto';
  if (memory !== 'auto' && memory !== 'resident' && memory !== 'low') {
    throw new UsageError(`--memory must be auto, resident or low, got "${memory}"`);
  }
  const textEncoder = values['text-encoder'] ?? 'same';
  if (textEncoder !== 'same' && textEncoder !== 'wasm') {
    throw new UsageError(`--text-encoder must be same or wasm, got "${textEncoder}"`);
  }
  if (values['text-encoder-only'] && values.warm)
    throw new UsageError('--text-encoder-only is for a cold load');
  const modelId = values.model ?? 'tiny-fp32';
  const size = values.size === undefined ? undefined : parseSize(values.size);
  const unetParts = values['unet-parts'] === undefined ? undefined : Number(values['unet-parts']);
  if (unetParts !== undefined && (!Number.isInteger(unetParts) || unetParts < 1)) {
    throw new UsageError('--unet-parts must be a whole number, at least 1');
  }
  if (unetParts !== undefined && memory !== 'low') throw new UsageError('--unet-parts needs --memory low');
  const timeout = Number(values.timeout ?? 3600);
  if (!Number.isInteger(timeout) || timeout < 1)
    throw new UsageError('--timeout must be a whole number of seconds');
  return {
    modelId,
    provider,
    manifestPath: resolve(
      REPO_ROOT,
      values.manifest ??
        (modelId.startsWith('standin-') ? 'models/standin-manifest.json' : 'model-manifest.json'),
    ),
    dir: values.dir,
    images: !values['no-image'],
    warm: values.warm ?? false,
    verifyFirst: values['verify-first'] ?? false,
    memory,
    textEncoder,
    textEncoderOnly: values['text-encoder-only'] ?? false,
    size,
    unetParts,
    json: values.json,
    trace: values.trace,
    timeoutMs: timeout * 1000,
  };
}

function parseSize(text: string): { width: number; height: number } {
  const match = /^(\d+)(?:x(\d+))?$/.exec(text);
  if (!match) throw new UsageError(`--size must be <px> or <width>x<height>, got "${text}"`);
  const width = Number(match[1]);
  return { width, height: match[2] === undefined ? width : Number(match[2]) };
}

async function readModel(options: Options): Promise<ModelEntry> {
  let text: string;
  try {
    text = await readFile(options.manifestPath, 'utf8');
  } catch {
    const hint = options.modelId.startsWith('standin-') ? ' (make it with npm run models:standin)' : '';
    throw new UsageError(`no manifest at ${options.manifestPath}${hint}`);
  }
  const manifest = parseManifest(JSON.parse(text), options.manifestPath);
  try {
    return getModel(manifest, options.modelId);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The folder of the model's files on disk: --dir, or the entry's relative baseUrl next to the manifest. */
function modelFolder(model: ModelEntry, options: Options): string {
  if (options.dir) return resolve(options.dir);
  if (/^[a-z]+:/i.test(model.baseUrl)) {
    throw new UsageError(
      `${model.id} is served from ${model.baseUrl}; give --dir with a folder made by npm run models:pull`,
    );
  }
  const relativeTo = model.baseUrl.startsWith('/') ? REPO_ROOT : dirname(options.manifestPath);
  // The app's manifest names public/ files by their served path (models/...).
  const base =
    options.manifestPath === resolve(REPO_ROOT, 'model-manifest.json')
      ? join(REPO_ROOT, 'public')
      : relativeTo;
  return join(base, model.baseUrl);
}

/** Serves every stage file of the model from `folder`; fails before the browser starts if one is missing. */
async function serveModel(server: DiskFileServer, model: ModelEntry, folder: string): Promise<number> {
  let total = 0;
  for (const stage of modelStageNames(model)) {
    const { path, bytes } = model.stages[stage]!.file;
    const diskPath = join(folder, path);
    const size = await stat(diskPath).then(
      (info) => info.size,
      () => {
        throw new UsageError(`${diskPath} does not exist (see --dir)`);
      },
    );
    if (bytes !== undefined && bytes !== size) {
      throw new UsageError(`${diskPath} has ${size} bytes; the manifest says ${bytes}`);
    }
    server.serve(`model/${path}`, diskPath, size, `${size}-${stage}`);
    total += size;
  }
  return total;
}

async function measure(options: Options, model: ModelEntry, modelBytes: number, fileServer: DiskFileServer) {
  const { server, url: origin } = await startDevServer();
  const profile = await mkdtemp(join(tmpdir(), 'sd-turbo-load-bench-'));
  const trace = new MemoryTrace();
  const memory = new PeakMemoryByKind(100, (sums, phase) => trace.sample(sums, phase));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...(options.provider === 'webgpu' ? WEBGPU_FLAGS : [])],
  });
  try {
    await Promise.all(context.pages().map((page) => page.close()));
    const page = await context.newPage();
    page.on('console', (message) => {
      const text = message.text();
      if (text.startsWith(PHASE_MARK)) {
        const phase = text.slice(PHASE_MARK.length);
        memory.enter(phase);
        trace.mark(`phase ${phase}`);
        process.stderr.write(`bench:load: ${phase}\n`);
      } else if (text.startsWith(STAGE_MARK)) {
        const at = new Date().toISOString().slice(11, 19);
        trace.mark(`stage ${text.slice(STAGE_MARK.length)}`);
        process.stderr.write(`bench:load:   ${text.slice(STAGE_MARK.length)} (${at} UTC)\n`);
      } else if (text.startsWith(SESSION_MARK)) {
        trace.mark(`sessions ${text.slice(SESSION_MARK.length)}`);
      } else if (message.type() === 'error') process.stderr.write(`  [console] ${text}\n`);
    });
    page.on('pageerror', (error) => process.stderr.write(`  [page error] ${error.message}\n`));
    const config: LoadBenchConfig = {
      manifestUrl: new URL(`/${relativeToRepo(options.manifestPath)}`, origin).href,
      modelId: model.id,
      mirrorBaseUrl: new URL('model/', fileServer.baseUrl).href,
      provider: options.provider,
      images: options.images,
      mode: options.warm ? 'store' : 'cold',
      verifyFirst: options.verifyFirst,
      memory: options.memory,
      textEncoder: options.textEncoder,
      textEncoderOnly: options.textEncoderOnly,
      size: options.size,
      unetParts: options.unetParts,
    };
    memory.start('page');
    const deadline = Date.now() + options.timeoutMs;
    const timedOut = () => timedOutOutcome(options, memory.currentPhase);
    let outcome = await runPage(page, origin, config, deadline, timedOut);
    if (options.warm && outcome.ok) {
      // The second page load: a fresh page and Worker over the same profile's IndexedDB.
      const stored = outcome;
      outcome = await runPage(page, origin, { ...config, mode: 'warm' }, deadline, timedOut);
      outcome.bytesDownloaded = stored.bytesDownloaded;
      outcome.downloadMs = stored.downloadMs;
    }
    const peaks = memory.stop();
    return { outcome, peaks, chromium: context.browser()?.version() ?? 'unknown', modelBytes, trace };
  } finally {
    memory.stop();
    await context.close();
    await server.close();
    await rm(profile, { recursive: true, force: true });
  }
}

async function runPage(
  page: Page,
  origin: string,
  config: LoadBenchConfig,
  deadline: number,
  timedOut: () => LoadPageOutcome,
): Promise<LoadPageOutcome> {
  await page.goto(`${origin}/bench/load/page.html?config=${encodeURIComponent(JSON.stringify(config))}`);
  let timer: NodeJS.Timeout | undefined;
  // A run past --timeout still reports the memory peaks of the phases it reached (a full-size image on
  // SwiftShader can take longer than anyone waits), as ok: false.
  const timeout = new Promise<LoadPageOutcome>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(timedOut()), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([page.evaluate(() => window.loadOutcome), timeout]).finally(() => clearTimeout(timer));
}

function timedOutOutcome(options: Options, phase: string): LoadPageOutcome {
  return {
    ok: false,
    error: `no outcome within ${options.timeoutMs / 1000} s (still in phase ${phase})`,
    provider: null,
    bytesDownloaded: 0,
    downloadMs: null,
    loadMs: null,
    readWeightsMs: null,
    wasmHeapBytesAfterLoad: null,
    firstImageMs: null,
    steadyImageMs: null,
    imageSkipped: null,
    readyMs: null,
    stages: [],
    verifyMs: null,
    warmupMs: null,
    memory: options.memory,
    placement: null,
    textEncoderMs: null,
    steadyImageStageSessions: null,
  };
}

function relativeToRepo(path: string): string {
  const root = resolve(REPO_ROOT);
  if (!path.startsWith(`${root}/`))
    throw new UsageError(`the manifest must be inside the repository (${root})`);
  return path.slice(root.length + 1);
}

function report(
  options: Options,
  argv: string[],
  run: { outcome: LoadPageOutcome; peaks: Map<string, KindPeaks>; chromium: string; modelBytes: number },
): LoadBenchReport {
  const { outcome, peaks } = run;
  const loadPhases = LOAD_PHASES.filter((phase) => phase !== 'download');
  const peakOf = (kind: keyof KindPeaks) => {
    const values = loadPhases.flatMap((phase) => (peaks.has(phase) ? [peaks.get(phase)![kind]] : []));
    return values.length > 0 ? Math.max(...values) : null;
  };
  return {
    model: options.modelId,
    provider: outcome.provider ?? options.provider,
    memory: outcome.memory,
    bytesDownloaded: outcome.bytesDownloaded,
    downloadMs: round(outcome.downloadMs),
    loadMs: round(outcome.loadMs),
    wasmHeapBytesAfterLoad: outcome.wasmHeapBytesAfterLoad,
    peakRendererBytes: peakOf('renderer'),
    peakGpuProcessBytes: peakOf('gpu-process'),
    firstImageMs: round(outcome.firstImageMs),
    ok: outcome.ok,
    error: outcome.error,
    detail: {
      modelBytes: run.modelBytes,
      readWeightsMs: round(outcome.readWeightsMs),
      steadyImageMs: round(outcome.steadyImageMs),
      steadyImageStageSessions: outcome.steadyImageStageSessions,
      placement: outcome.placement,
      textEncoderMs: outcome.textEncoderMs?.map((ms) => Math.round(ms)) ?? null,
      imageSkipped: outcome.imageSkipped,
      ...(options.warm
        ? {
            readyMs: round(outcome.readyMs),
            stages: outcome.stages.map(({ stage, readMs, sessionMs }) => ({
              stage,
              readMs: Math.round(readMs),
              sessionMs: Math.round(sessionMs),
            })),
            verifyMs: round(outcome.verifyMs),
            warmupMs: round(outcome.warmupMs),
            verifyFirst: options.verifyFirst,
          }
        : {}),
      peaksByPhase: Object.fromEntries(peaks),
      chromium: run.chromium,
      date: new Date().toISOString(),
      command: `npm run bench:load -- ${argv.join(' ')}`.trim(),
    },
  };
}

function round(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms);
}

const GiB = 2 ** 30;
const gib = (bytes: number | null) => (bytes === null ? 'n/a' : `${(bytes / GiB).toFixed(2)} GiB`);
const seconds = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);

function format(result: LoadBenchReport): string {
  const { detail } = result;
  const lines = [
    `${result.model} on ${result.provider}, memory ${result.memory ?? 'n/a'} (${(detail.modelBytes / 1e6).toFixed(1)} MB), ${detail.chromium}`,
    `  ok                       ${result.ok}${result.error ? `: ${result.error}` : ''}`,
    `  downloaded               ${(result.bytesDownloaded / 1e6).toFixed(1)} MB in ${seconds(result.downloadMs)}`,
    `  load (all sessions)      ${seconds(result.loadMs)} (reading IndexedDB ${seconds(detail.readWeightsMs)})`,
    ...(detail.readyMs === undefined
      ? []
      : [
          `  warm start ready         ${seconds(detail.readyMs)} (digests ${detail.verifyFirst ? 'first' : 'after ready'}, all known at ${seconds(detail.verifyMs ?? null)}; warm-up ${seconds(detail.warmupMs ?? null)})`,
          ...(detail.stages ?? []).map(
            (stage) =>
              `    ${stage.stage.padEnd(22)} read ${seconds(stage.readMs)}, session ${seconds(stage.sessionMs)}`,
          ),
        ]),
    `  wasm heap after load     ${gib(result.wasmHeapBytesAfterLoad)}`,
    `  peak renderer (load+img) ${gib(result.peakRendererBytes)}`,
    `  peak GPU process         ${gib(result.peakGpuProcessBytes)}`,
    `  first image              ${seconds(result.firstImageMs)}${detail.imageSkipped ? ` (${detail.imageSkipped})` : ''}`,
    `  second image             ${seconds(detail.steadyImageMs)}`,
    `  placement                ${Object.entries(detail.placement ?? {})
      .map(([stage, where]) => `${stage} ${where}`)
      .join(', ')}`,
    ...(detail.textEncoderMs
      ? [`  text encoder alone       ${detail.textEncoderMs.map((ms) => seconds(ms)).join(', ')}`]
      : []),
    '  peak RSS by phase        renderer / GPU process / browser',
    ...Object.entries(detail.peaksByPhase).map(
      ([phase, peak]) =>
        `    ${phase.padEnd(22)} ${gib(peak.renderer)} / ${gib(peak['gpu-process'])} / ${gib(peak.browser)}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  let options: Options | undefined;
  let model: ModelEntry;
  const fileServer = await DiskFileServer.start();
  try {
    options = parseOptions(argv);
    if (!options) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (options.modelId.startsWith('tiny-')) await ensureTinyModels();
    model = await readModel(options);
    const modelBytes = await serveModel(fileServer, model, modelFolder(model, options));
    const run = await measure(options, model, modelBytes, fileServer);
    const result = report(options, argv, run);
    process.stdout.write(format(result));
    if (options.trace) {
      process.stdout.write(run.trace.peakPlaces());
      await writeFile(options.trace, run.trace.text());
      process.stderr.write(`bench:load: wrote ${options.trace}\n`);
    }
    if (options.json) {
      await writeFile(options.json, `${JSON.stringify(result, null, 2)}\n`);
      process.stderr.write(`bench:load: wrote ${options.json}\n`);
    }
    return result.ok ? 0 : 1;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench:load: ${error.message}\n${USAGE}`);
    return 2;
  } finally {
    await fileServer.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench:load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
