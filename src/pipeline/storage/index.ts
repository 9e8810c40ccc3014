/**
 * The weight store's face: a model's files in IndexedDB (browser, Worker included) or the filesystem (Node:
 * import ./node.js, which adds FsChunkStore), with its two writers: download/ (from the network) and
 * local-files/ (the user's own ONNX files).
 */
export * from './download/index.js';
export {
  getModelStorageStatus,
  loadModelFile,
  loadModelFiles,
  loadModelFileVerifyingBeside,
  streamModelFile,
  streamModelFileVerifyingBeside,
} from './model-files.js';
export {
  readStoredFile,
  readStoredFileVerifyingBeside,
  streamStoredFile,
  streamStoredFileVerifyingBeside,
  listStoredModels,
  verifyStoredModel,
  deleteStoredModel,
  type StoredFileRead,
  type StoredFileSummary,
  type StoredModelSummary,
  type FileVerification,
} from './stored-files.js';
export {
  chunkCount,
  isComplete,
  isUsable,
  storedBytes,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_PIECE_SIZE,
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
export { DownloadError, IntegrityError, QuotaError, formatBytes, type DownloadErrorKind } from './errors.js';
export { requestPersistence, type StorageManagerLike } from './quota.js';
export { InProcessLockManager, type LockManagerLike } from './cross-tab.js';
