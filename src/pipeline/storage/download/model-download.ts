/**
 * The model-level API the pipeline and the UI call. It knows a model only as the manifest's list of files:
 * nothing here knows of ORT or of what the files contain.
 */
import { resolveFileUrl } from '../../model/manifest.js';
import {
  modelStageNames,
  stageFile,
  type ModelEntry,
  type ModelFile,
  type ModelStageName,
  type StageName,
} from '../../model/manifest-types.js';

/** The stored record of each of a model's files, the optional VAE encoder's where the model has one. */
export type ModelFileRecords = Record<StageName, FileRecord> & { vaeEncoder?: FileRecord };
import { isUsable, storedBytes, type ChunkStore, type FileRecord } from '../chunk-store.js';
import {
  ChunkedDownloader,
  type ChunkedDownloaderOptions,
  type DownloadTarget,
} from './chunked-downloader.js';
import {
  defaultLockManager,
  withDownloadLock,
  type LockManagerLike,
  type ProgressChannel,
} from '../cross-tab.js';
import { ProgressTracker, type DownloadProgress } from '../progress.js';
import { defaultStorageManager, ensureQuota, requestPersistence, type StorageManagerLike } from '../quota.js';
import { currentRecord } from '../model-files.js';

export interface DownloadModelOptions extends Omit<ChunkedDownloaderOptions, 'progress' | 'storage'> {
  /** URL of the manifest the model comes from: a relative `baseUrl` is resolved against it. */
  manifestUrl: string;
  /** A self-hosted copy (made with `npm run models:pull`) to fetch from instead of the model's baseUrl. */
  mirrorBaseUrl?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Least milliseconds between two progress reports (default 100). */
  progressIntervalMs?: number;
  /** Milliseconds clock for the rate; injectable for tests. */
  now?: () => number;
  /** Quota check and persistence request: navigator.storage by default; null skips both. */
  storage?: StorageManagerLike | null;
  /** navigator.locks by default, else a lock manager shared by this realm. */
  locks?: LockManagerLike;
}

/**
 * Makes every file of the model complete in `store`, its SHA-256 verified where the manifest gives one
 * and recorded where it does not, fetching only what is missing. One download per model runs at a time
 * across tabs: a second caller waits (reporting the other's progress) and then finds the files stored.
 */
export function downloadModel(model: ModelEntry, options: DownloadModelOptions): Promise<ModelFileRecords> {
  return withDownloadLock(
    options.locks ?? defaultLockManager(),
    model.id,
    {
      signal: options.signal,
      onWaiting: () => options.onEvent?.({ type: 'waiting-for-other-download', modelId: model.id }),
      onRemoteProgress: options.onProgress,
    },
    (channel) => downloadHoldingLock(model, options, channel),
  );
}

async function downloadHoldingLock(
  model: ModelEntry,
  options: DownloadModelOptions,
  channel: ProgressChannel,
): Promise<ModelFileRecords> {
  const storage = options.storage === null ? undefined : (options.storage ?? defaultStorageManager());
  const progress = new ProgressTracker(model.id, {
    onProgress: (snapshot) => {
      options.onProgress?.(snapshot);
      channel.post(snapshot);
    },
    intervalMs: options.progressIntervalMs,
    now: options.now,
  });
  const downloader = new ChunkedDownloader({ ...options, storage, progress });
  const files = modelFiles(model, options);
  const needed = await bytesStillNeeded(files, options.store, downloader, progress);
  if (needed > 0) {
    await ensureQuota(storage, needed, `model ${model.id}`);
    const persisted = await requestPersistence(storage);
    if (persisted !== undefined) options.onEvent?.({ type: 'storage-persisted', persisted });
  }
  const records = {} as ModelFileRecords;
  for (const { stage, target } of files) records[stage] = await downloader.download(target);
  progress.report(true);
  return records;
}

interface ModelFileTarget {
  stage: ModelStageName;
  file: ModelFile;
  target: DownloadTarget;
}

function modelFiles(model: ModelEntry, options: DownloadModelOptions): ModelFileTarget[] {
  return modelStageNames(model).map((stage) => {
    const file = stageFile(model, stage);
    const url = resolveFileUrl(model, file, options.manifestUrl, options.mirrorBaseUrl);
    return {
      stage,
      file,
      // Every stage's file is an ONNX model: a first answer that cannot start one is refused.
      target: {
        modelId: model.id,
        path: file.path,
        url,
        bytes: file.bytes,
        sha256: file.sha256,
        format: 'onnx',
      },
    };
  });
}

/** Bytes to fetch before every file is stored; lists each file in the progress as queued. */
async function bytesStillNeeded(
  files: readonly ModelFileTarget[],
  store: ChunkStore,
  downloader: ChunkedDownloader,
  progress: ProgressTracker,
): Promise<number> {
  let needed = 0;
  for (const { file, target } of files) {
    const current = await currentRecord(store, target.modelId, file);
    const size =
      current?.size ?? file.bytes ?? file.approxBytes ?? (await downloader.remoteSize(target.url)) ?? 0;
    const stored = current ? storedBytes(current) : 0;
    progress.setFile(file.path, size, stored, current && isUsable(current) ? 'done' : 'queued');
    if (!current || !isUsable(current)) needed += size - stored;
  }
  progress.report(true);
  return needed;
}
