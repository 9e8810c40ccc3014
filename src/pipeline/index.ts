/**
 * The pipeline's public face: what components and embedding pages may use. Each folder has a face of its
 * own (engine/, runtime/, text/, model/, storage/, worker/); shared public types live in ./types.ts.
 */
export * from './engine/index.js';
export * from './runtime/index.js';
export * from './text/index.js';
export * from './model/index.js';
export * from './worker/index.js';
export {
  IdbChunkStore,
  DownloadError,
  IntegrityError,
  QuotaError,
  deleteStoredModel,
  downloadModel,
  formatBytes,
  getModelStorageStatus,
  listStoredModels,
  loadModelFile,
  streamModelFile,
  verifyStoredModel,
  type ChunkStore,
  type DownloadEvent,
  type DownloadModelOptions,
  type DownloadProgress,
} from './storage/index.js';
export {
  DEFAULT_IMAGE_SIZE,
  MAX_IMAGE_SIZE,
  MIN_IMAGE_SIZE,
  LocalModelRegistry,
  checkLocalFiles,
  importLocalModel,
  isLocalModelId,
  stageContract,
  type ImportLocalModelOptions,
  type LocalModelFile,
  type LocalModelImport,
  type LocalModelRecord,
} from './storage/local-files/index.js';
export { LocalFilesError, NoImageEncoderError, PipelineError, isAbortError } from './errors.js';
export type * from './types.js';
