/**
 * The downloader's face: chunked, resumable, verified downloads of a model's files into IndexedDB (browser,
 * Worker included) or the filesystem (Node: import ./node.js, which adds FsChunkStore).
 */
export {
  downloadModel,
  loadModelFile,
  loadModelFiles,
  getModelStorageStatus,
  type DownloadModelOptions,
  type ModelStorageStatus,
} from './download/model-download.js';
export {
  ChunkedDownloader,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_CONCURRENCY,
  DEFAULT_STALL_TIMEOUT_MS,
  type ChunkedDownloaderOptions,
  type DownloadTarget,
} from './download/chunked-downloader.js';
export {
  readStoredFile,
  listStoredModels,
  verifyStoredModel,
  deleteStoredModel,
  type StoredFileSummary,
  type StoredModelSummary,
  type FileVerification,
} from './stored-files.js';
export {
  chunkCount,
  isComplete,
  isUsable,
  storedBytes,
  type ChunkStore,
  type FileRecord,
  type StoredFileId,
} from './chunk-store.js';
export { IdbChunkStore, type IdbChunkStoreOptions } from './idb-chunk-store.js';
export {
  ProgressTracker,
  RateMeter,
  type DownloadProgress,
  type FileProgress,
  type FileState,
} from './progress.js';
export type { DownloadEvent, RestartReason } from './download/events.js';
export { DownloadError, IntegrityError, QuotaError, formatBytes, type DownloadErrorKind } from './errors.js';
export { DEFAULT_RETRY, type RetryOptions } from './download/retry.js';
export type { StorageManagerLike } from './quota.js';
export { InProcessLockManager, type LockManagerLike } from './cross-tab.js';
