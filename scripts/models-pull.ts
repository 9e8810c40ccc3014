/**
 * Self-hosting: copies a model's files into a folder that any static server can serve as a mirror.
 *
 *   npm run models:pull -- <model-id> <dir> [--manifest <path-or-url>] [--base-url <url>]
 *                          [--chunk-size <bytes, or with k/m/g>] [--concurrency <n>]
 *   npm run models:pull                      lists the manifest's model ids
 *
 * Runs the app's own downloader (filesystem store): an interrupted pull resumes where it stopped from
 * `<dir>/<file.path>.partial`, which becomes `<dir>/<file.path>` only once its size and hash checks
 * pass; a finished folder holds the files plus a hidden `.sd-turbo-download/`. At the end it prints each
 * stage's `file` entry with the exact bytes and SHA-256, to paste into a manifest.
 */
import { mkdir, readFile, statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { isAbortError } from '../src/pipeline/errors.js';
import { getModel, loadManifest, parseManifest, resolveFileUrl } from '../src/pipeline/model/manifest.js';
import {
  STAGE_NAMES,
  type Manifest,
  type ModelEntry,
  type ModelFile,
  type StageName,
} from '../src/pipeline/model/manifest-types.js';
import {
  downloadModel,
  formatBytes,
  FsChunkStore,
  type DownloadEvent,
  type DownloadProgress,
  type FileRecord,
  type StorageManagerLike,
} from '../src/pipeline/storage/node.js';

const USAGE =
  'usage: npm run models:pull -- <model-id> <dir> [--manifest <path-or-url>] [--base-url <url>] ' +
  '[--chunk-size <bytes|Nk|Nm>] [--concurrency <n>]';

interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

class UsageError extends Error {}

/** Runs the CLI; resolves with the exit code (0 done, 1 failed, 2 bad arguments, 130 interrupted). */
export async function main(argv: readonly string[], output: Output, signal?: AbortSignal): Promise<number> {
  try {
    const args = parseCommandLine(argv);
    const { manifest, manifestUrl } = await readManifest(args.manifest);
    if (!args.target) {
      listModels(manifest, args.manifest, output);
      return 0;
    }
    const { modelId, dir } = args.target;
    const model = getModel(manifest, modelId);
    checkFetchable(model, manifestUrl, args.baseUrl);
    await mkdir(dir, { recursive: true });
    const records = await downloadModel(model, {
      manifestUrl,
      mirrorBaseUrl: args.baseUrl,
      store: new FsChunkStore(dir),
      chunkSize: args.chunkSize,
      concurrency: args.concurrency,
      signal,
      storage: diskSpace(dir),
      onProgress: throttle(1000, (progress) => output.out(progressLine(progress))),
      onEvent: (event) => reportEvent(event, output),
    });
    output.out(`models:pull: ${model.id} is complete in ${resolve(dir)}`);
    output.out(`models:pull: each stage's "file", with its exact size and SHA-256, for a manifest:`);
    output.out(JSON.stringify(pinnedFiles(model, records), null, 2));
    return 0;
  } catch (error) {
    if (isAbortError(error)) {
      output.err('models:pull: interrupted; run the same command again to resume');
      return 130;
    }
    output.err(`models:pull: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof UsageError) output.err(USAGE);
    return error instanceof UsageError ? 2 : 1;
  }
}

interface Arguments {
  /** Absent when no positional argument is given: then the model ids are listed. */
  target?: { modelId: string; dir: string };
  manifest: string;
  baseUrl?: string;
  chunkSize?: number;
  concurrency?: number;
}

function parseCommandLine(argv: readonly string[]): Arguments {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        manifest: { type: 'string', default: './model-manifest.json' },
        'base-url': { type: 'string' },
        'chunk-size': { type: 'string' },
        concurrency: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 0 && positionals.length !== 2) {
    throw new UsageError('expected a model id and a folder');
  }
  const [modelId, dir] = positionals;
  return {
    target: modelId === undefined ? undefined : { modelId, dir },
    manifest: values.manifest,
    baseUrl: values['base-url'],
    chunkSize: values['chunk-size'] === undefined ? undefined : parseSize(values['chunk-size']),
    concurrency: values.concurrency === undefined ? undefined : parseCount(values.concurrency),
  };
}

/** '1048576', '512k', '32m', '1g' (binary units) → bytes. */
function parseSize(text: string): number {
  const match = /^(\d+)([kmg]?)i?b?$/i.exec(text.trim());
  if (!match || Number(match[1]) === 0) throw new UsageError(`--chunk-size: not a size: ${text}`);
  const shift = { '': 0, k: 10, m: 20, g: 30 }[match[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(match[1]) * 2 ** shift;
}

function parseCount(text: string): number {
  if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`--concurrency: not a positive integer: ${text}`);
  return Number(text);
}

async function readManifest(location: string): Promise<{ manifest: Manifest; manifestUrl: string }> {
  if (/^https?:\/\//i.test(location))
    return { manifest: await loadManifest(location), manifestUrl: location };
  let text: string;
  try {
    text = await readFile(location, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the manifest ${location}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`the manifest ${location} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { manifest: parseManifest(json, location), manifestUrl: pathToFileURL(resolve(location)).href };
}

function listModels(manifest: Manifest, location: string, output: Output): void {
  output.out(`models:pull: the models in ${location}:`);
  for (const model of manifest.models) {
    const bytes = Object.values(model.stages).reduce(
      (sum, { file }) => sum + (file.bytes ?? file.approxBytes ?? 0),
      0,
    );
    output.out(`  ${model.id}  ${model.name}, ${formatBytes(bytes)}`);
  }
  output.out(USAGE);
}

/** A stage's `file` entry in a manifest, with its exact size and SHA-256. */
type PinnedFile = { file: Required<Pick<ModelFile, 'path' | 'bytes' | 'sha256'>> };

/**
 * Each stage's `file` entry as the manifest spells it, with the exact size and the SHA-256 (verified
 * against the manifest's, or computed by this pull where the manifest has none): paste each over
 * `stages.<stage>.file`.
 */
function pinnedFiles(
  model: ModelEntry,
  records: Record<StageName, FileRecord>,
): Record<StageName, PinnedFile> {
  const pinned = {} as Record<StageName, PinnedFile>;
  for (const stage of STAGE_NAMES) {
    const record = records[stage];
    const sha256 = record.sha256 ?? record.recordedSha256;
    if (sha256 === undefined) throw new Error(`${record.path} has no SHA-256 after its download`);
    pinned[stage] = { file: { path: model.stages[stage].file.path, bytes: record.size, sha256 } };
  }
  return pinned;
}

/** A baseUrl relative to a manifest on disk resolves to a file: URL, which there is nothing to pull from. */
function checkFetchable(model: ModelEntry, manifestUrl: string, baseUrl: string | undefined): void {
  const url = resolveFileUrl(model, model.stages.unet.file, manifestUrl, baseUrl);
  if (!/^https?:$/.test(new URL(url).protocol)) {
    throw new Error(`${model.id}'s files resolve to ${url}, not an http(s) URL; pass --base-url`);
  }
}

/** Free disk space as a storage estimate, for the downloader's quota check. */
function diskSpace(dir: string): StorageManagerLike {
  return {
    estimate: async () => {
      const stats = await statfs(dir);
      return { usage: 0, quota: stats.bavail * stats.bsize };
    },
  };
}

function progressLine(progress: DownloadProgress): string {
  const active = progress.files.find((file) => file.state === 'downloading' || file.state === 'verifying');
  const percent = progress.bytesTotal > 0 ? Math.floor((100 * progress.bytesDone) / progress.bytesTotal) : 0;
  const parts = [
    `${percent}% of ${formatBytes(progress.bytesTotal)}`,
    active &&
      `${active.path} ${active.state === 'verifying' ? 'verifying' : `${formatBytes(active.bytesDone)} / ${formatBytes(active.bytesTotal)}`}`,
    progress.bytesPerSecond > 0 && `${formatBytes(progress.bytesPerSecond)}/s`,
    progress.etaSeconds !== undefined &&
      progress.phase === 'downloading' &&
      `ETA ${formatDuration(progress.etaSeconds)}`,
  ];
  return parts.filter(Boolean).join(' · ');
}

/** Calls `report` at most once per `intervalMs`: a line a second is plenty for a terminal or a CI log. */
function throttle<T>(intervalMs: number, report: (value: T) => void): (value: T) => void {
  let last = -Infinity;
  return (value) => {
    const now = performance.now();
    if (now - last < intervalMs) return;
    last = now;
    report(value);
  };
}

function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function reportEvent(event: DownloadEvent, output: Output): void {
  switch (event.type) {
    case 'file-restarted':
      return output.err(`models:pull: warning: ${event.message}`);
    case 'retry':
      return output.err(`models:pull: ${event.message}`);
    case 'file-verified':
      return output.out(`${event.path}: SHA-256 verified`);
    case 'file-done':
      return output.out(`${event.path}: ${event.fromStore ? 'already complete' : 'done'}`);
  }
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  const code = await main(
    process.argv.slice(2),
    { out: (line) => console.log(line), err: (line) => console.error(line) },
    controller.signal,
  );
  process.exit(code);
}
