/**
 * npm run bench:download -- [options]: the downloader's throughput against one plain fetch of the same
 * file, and the browser's peak memory while downloading and while reading the stored file back, in
 * headless Chromium on loopback. Prints figures only: nothing here passes or fails.
 *
 * The file (deterministic pseudo-random bytes, 1.5 GiB by default) is made once under .cache/ and served
 * from disk by a Range server on 127.0.0.1; the page comes from a Vite dev server on another port, so the
 * download is cross-origin, as from a model host. Each size runs in a fresh browser profile (IndexedDB
 * empty), deleted at the end. Memory is the sum over Chromium's processes (browser, renderer, GPU,
 * utility) of RSS and of RssAnon, sampled every 100 ms from /proc.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../scripts/tiny-models/index.js';
import { CHROMIUM_FLAGS, CHROMIUM_PATH, WEBGPU_FLAGS, startDevServer } from '../../tests/support/browser.js';
import { MemorySampler, type MemoryPeak } from '../process-memory.js';
import { ensureBigFile, removeBigFile, type BigFile } from './big-file.js';
import { DiskFileServer } from './file-server.js';
import type { DownloadRun, Timed } from './page.js';

const USAGE = `usage: npm run bench:download -- [options]

  --size <bytes>         file size, e.g. 1.5GiB, 512MiB, 2000000000; repeat for several sizes
                         (default 1.5GiB)
  --chunk-size <bytes>   the downloader's chunk size (default 32MiB)
  --piece-size <bytes>   stored piece of a chunk still arriving (default 4MiB; the chunk size: whole
                         chunks only, as before pieces)
  --concurrency <n>      Range requests in flight (default 4)
  --runs <n>             repeat each measurement; times are medians, memory the largest peak (default 1)
  --no-variants          skip the explanatory runs (downloader without SHA-256; into a store that drops
                         bytes; SHA-256 alone, in the hash Worker and in WebCrypto)
  --link <MB/s>          serve at most this many MB/s (10^6 bytes) over all connections together, like a
                         network link (default: unlimited loopback)
  --dir <dir>            where the big file is made and kept between runs (default .cache/download-bench)
  --keep                 keep the big file(s) afterwards (the browser profile is always deleted)
  --json <file>          also write every figure as JSON
`;

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
};

function positiveNumber(text: string, flag: string): number {
  const value = Number(text);
  if (!(value > 0)) throw new Error(`${flag} wants a positive number, not ${text}\n\n${USAGE}`);
  return value;
}

function parseBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new Error(`not a size: ${text}\n\n${USAGE}`);
  return Math.round(Number(match[1]) * unit);
}

interface Options {
  sizes: number[];
  chunkSize: number;
  pieceSize: number;
  concurrency: number;
  runs: number;
  variants: boolean;
  /** Bandwidth cap of the file server in MB/s; undefined for plain loopback. */
  linkMBps?: number;
  dir: string;
  keep: boolean;
  json?: string;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', multiple: true },
      'chunk-size': { type: 'string' },
      'piece-size': { type: 'string' },
      concurrency: { type: 'string' },
      runs: { type: 'string' },
      'no-variants': { type: 'boolean' },
      link: { type: 'string' },
      dir: { type: 'string' },
      keep: { type: 'boolean' },
      json: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    sizes: (values.size ?? ['1.5GiB']).map(parseBytes),
    chunkSize: parseBytes(values['chunk-size'] ?? '32MiB'),
    pieceSize: parseBytes(values['piece-size'] ?? '4MiB'),
    concurrency: Number(values.concurrency ?? 4),
    runs: Math.max(1, Number(values.runs ?? 1)),
    variants: !values['no-variants'],
    linkMBps: values.link === undefined ? undefined : positiveNumber(values.link, '--link'),
    dir: resolve(values.dir ?? join(REPO_ROOT, '.cache', 'download-bench')),
    keep: values.keep ?? false,
    json: values.json,
  };
}

type StepName =
  | 'idle'
  | 'fetch'
  | 'downloader'
  | 'downloader-no-hash'
  | 'downloader-discard'
  | 'sha256-alone'
  | 'webcrypto-alone'
  | 'read-unchecked'
  | 'read-stored';

const STEP_LABELS: Record<StepName, string> = {
  idle: 'idle page (1 s)',
  fetch: '(a) plain fetch, body dropped',
  downloader: '(b) downloader → IndexedDB, SHA-256',
  'downloader-no-hash': '    downloader → IndexedDB, no hash',
  'downloader-discard': '    downloader → store dropping bytes',
  'sha256-alone': '    SHA-256 alone, hash Worker',
  'webcrypto-alone': '    SHA-256 alone, WebCrypto (native)',
  'read-unchecked': '    stored chunks → one buffer, unchecked',
  'read-stored': '(c) readStoredFile → one buffer, SHA-256 checked',
};

interface StepResult {
  step: StepName;
  /** Per run. */
  ms: number[];
  bytes: number;
  memory: MemoryPeak[];
}

interface SizeResult {
  size: number;
  chunkSize: number;
  pieceSize: number;
  concurrency: number;
  steps: StepResult[];
  storageUsageAfterDownload?: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const mb = (bytes: number) => bytes / 1e6;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** Collects the page's garbage first, so that one step's leftovers do not count in the next step's peak. */
async function measure<T extends Timed>(
  sampler: MemorySampler,
  action: () => Promise<T>,
  collectGarbage: () => Promise<unknown>,
): Promise<{ result: T; memory: MemoryPeak }> {
  await collectGarbage();
  sampler.start();
  try {
    const result = await action();
    return { result, memory: sampler.stop() };
  } finally {
    sampler.stop();
  }
}

async function benchSize(file: BigFile, opts: Options, url: string, pageUrl: string): Promise<SizeResult> {
  const profile = await mkdtemp(join(tmpdir(), 'download-bench-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...WEBGPU_FLAGS],
  });
  const steps = new Map<StepName, StepResult>();
  const record = (step: StepName, timed: Timed, memory: MemoryPeak) => {
    const entry = steps.get(step) ?? { step, ms: [], bytes: timed.bytes, memory: [] };
    entry.ms.push(timed.ms);
    entry.memory.push(memory);
    steps.set(step, entry);
  };
  const result: SizeResult = {
    size: file.size,
    chunkSize: opts.chunkSize,
    pieceSize: opts.pieceSize,
    concurrency: opts.concurrency,
    steps: [],
  };
  try {
    const page: Page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => console.error(`[pageerror] ${error.message}`));
    await page.goto(pageUrl);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
    const sampler = new MemorySampler(100);
    const cdp = await context.newCDPSession(page);
    const collectGarbage = () => cdp.send('HeapProfiler.collectGarbage');

    const idle = await measure(
      sampler,
      async () => {
        await new Promise((done) => setTimeout(done, 1000));
        return { bytes: 0, ms: 0 };
      },
      collectGarbage,
    );
    record('idle', idle.result, idle.memory);

    const download = async (step: StepName, run: number, extra: Partial<DownloadRun>) => {
      const path = `${step}-${run}.bin`;
      const spec: DownloadRun = {
        url,
        path,
        size: file.size,
        chunkSize: opts.chunkSize,
        pieceSize: opts.pieceSize,
        concurrency: opts.concurrency,
        store: 'indexeddb',
        ...extra,
      };
      const { result: timed, memory } = await measure(
        sampler,
        () => page.evaluate((s) => window.downloadBench.download(s), spec),
        collectGarbage,
      );
      if (spec.sha256 && !timed.verified) throw new Error(`${step}: the file was not verified`);
      record(step, timed, memory);
      console.log(`  ${STEP_LABELS[step].trim()}: ${((mb(timed.bytes) * 1000) / timed.ms).toFixed(0)} MB/s`);
      return path;
    };

    for (let run = 0; run < opts.runs; run++) {
      console.log(`run ${run + 1}/${opts.runs}`);
      const fetched = await measure(
        sampler,
        () => page.evaluate((u) => window.downloadBench.plainFetch(u), url),
        collectGarbage,
      );
      if (fetched.result.bytes !== file.size)
        throw new Error(`plain fetch got ${fetched.result.bytes} bytes`);
      record('fetch', fetched.result, fetched.memory);
      console.log(`  plain fetch: ${((mb(file.size) * 1000) / fetched.result.ms).toFixed(0)} MB/s`);

      const stored = await download('downloader', run, { sha256: file.sha256 });
      result.storageUsageAfterDownload = await page.evaluate(() => window.downloadBench.usage());
      const read = await measure(
        sampler,
        () => page.evaluate((p) => window.downloadBench.readStored(p), stored),
        collectGarbage,
      );
      record('read-stored', read.result, read.memory);
      const unchecked = await measure(
        sampler,
        () => page.evaluate((p) => window.downloadBench.readUnchecked(p), stored),
        collectGarbage,
      );
      record('read-unchecked', unchecked.result, unchecked.memory);
      console.log(
        `  readStoredFile: ${(read.result.ms / 1000).toFixed(2)} s, ${((mb(file.size) * 1000) / read.result.ms).toFixed(0)} MB/s; ` +
          `unchecked read ${(unchecked.result.ms / 1000).toFixed(2)} s: the check on load costs ` +
          `${((read.result.ms - unchecked.result.ms) / 1000).toFixed(2)} s`,
      );
      await page.evaluate((p) => window.downloadBench.remove(p), stored);

      if (opts.variants) {
        const unhashed = await download('downloader-no-hash', run, {});
        await page.evaluate((p) => window.downloadBench.remove(p), unhashed);
        await download('downloader-discard', run, { store: 'discard' });
        const hashed = await measure(
          sampler,
          () => page.evaluate(([b, c]) => window.downloadBench.hashAlone(b, c), [file.size, opts.chunkSize]),
          collectGarbage,
        );
        if (hashed.result.thread !== 'worker') console.log('  (the hash ran on the page: no Worker)');
        record('sha256-alone', hashed.result, hashed.memory);
        const native = await measure(
          sampler,
          () =>
            page.evaluate(([b, c]) => window.downloadBench.webCryptoAlone(b, c), [file.size, opts.chunkSize]),
          collectGarbage,
        );
        record('webcrypto-alone', native.result, native.memory);
        for (const [step, timed] of [
          ['sha256-alone', hashed.result],
          ['webcrypto-alone', native.result],
        ] as const) {
          console.log(
            `  ${STEP_LABELS[step].trim()}: ${((mb(timed.bytes) * 1000) / timed.ms).toFixed(0)} MB/s`,
          );
        }
      }
    }
    result.steps = [...steps.values()];
    return result;
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

function formatSize(result: SizeResult): string {
  const idle = result.steps.find((step) => step.step === 'idle');
  const idleRss = idle ? Math.max(...idle.memory.map((m) => m.peakRssBytes)) : 0;
  const idleAnon = idle ? Math.max(...idle.memory.map((m) => m.peakAnonBytes)) : 0;
  const fetchStep = result.steps.find((step) => step.step === 'fetch');
  const fetchRate = fetchStep ? mb(fetchStep.bytes) / (median(fetchStep.ms) / 1000) : undefined;
  const header = [
    'step',
    'time s',
    'MB/s',
    'vs fetch',
    'peak RSS MiB',
    'peak anon MiB',
    'anon over idle MiB',
    'RSS rise MiB',
  ];
  const rows = result.steps.map((step) => {
    const peakRss = Math.max(...step.memory.map((m) => m.peakRssBytes));
    const peakAnon = Math.max(...step.memory.map((m) => m.peakAnonBytes));
    const ms = median(step.ms);
    const rate = step.bytes > 0 ? mb(step.bytes) / (ms / 1000) : undefined;
    const timed = step.step !== 'idle';
    return [
      STEP_LABELS[step.step],
      timed ? (ms / 1000).toFixed(2) : '',
      rate === undefined ? '' : rate.toFixed(0),
      rate !== undefined && fetchRate && step.step !== 'fetch' && !step.step.startsWith('read-')
        ? `${((rate / fetchRate) * 100).toFixed(0)}%`
        : '',
      mib(peakRss),
      mib(peakAnon),
      step.step === 'idle' ? '' : mib(peakAnon - idleAnon),
      step.step === 'idle' ? '' : mib(Math.max(...step.memory.map((m) => m.peakRssBytes - m.startRssBytes))),
    ];
  });
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
  return [
    `file ${(result.size / 2 ** 30).toFixed(2)} GiB (${result.size} bytes), chunk ${mib(result.chunkSize)} MiB ` +
      `(pieces ${mib(Math.min(result.pieceSize, result.chunkSize))} MiB) × ` +
      `${result.concurrency} in flight; idle RSS ${mib(idleRss)} MiB` +
      (result.storageUsageAfterDownload === undefined
        ? ''
        : `; origin storage after download ${mib(result.storageUsageAfterDownload)} MiB`),
    line(header),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

async function chromiumVersion(): Promise<string> {
  const { stdout } = await promisify(execFile)(CHROMIUM_PATH, ['--version']);
  return /Chrom(e|ium)[^\n]*?[\d.]+/.exec(stdout)?.[0] ?? stdout.trim();
}

async function main(): Promise<void> {
  const opts = options();
  const version = await chromiumVersion();
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM`;
  const network = opts.linkMBps ? `loopback paced to ${opts.linkMBps} MB/s` : 'loopback';
  console.log(`${version}; ${machine}; ${network}`);
  const files = await DiskFileServer.start(opts.linkMBps && opts.linkMBps * 1e6);
  const { server, url: origin } = await startDevServer();
  const pageUrl = `${origin}/bench/download/page.html`;
  const made: BigFile[] = [];
  const results: SizeResult[] = [];
  try {
    for (const size of opts.sizes) {
      const file = await ensureBigFile(opts.dir, size, console.log);
      made.push(file);
      const url = files.serve(`bench-${size}.bin`, file.path, file.size, file.sha256.slice(0, 16));
      console.log(`\n${(size / 2 ** 30).toFixed(2)} GiB from ${url}`);
      results.push(await benchSize(file, opts, url, pageUrl));
    }
  } finally {
    await server.close();
    await files.close();
    if (!opts.keep) for (const file of made) await removeBigFile(file);
  }
  console.log(`\n${version}; ${machine}; ${network}; medians of ${opts.runs} run(s)\n`);
  for (const result of results) console.log(`${formatSize(result)}\n`);
  if (opts.json) {
    await writeFile(
      opts.json,
      JSON.stringify({ chromium: version, machine, network, runs: opts.runs, results }, null, 2),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
