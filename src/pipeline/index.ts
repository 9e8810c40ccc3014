/** The pipeline's public face: what components and embedding pages may use. */
export {
  TextToImagePipeline,
  MAX_PROMPT_CHARACTERS,
  MAX_STEPS,
  DEFAULT_IMAGE_TO_IMAGE_STEPS,
  DEFAULT_IMAGE_TO_IMAGE_STRENGTH,
} from './engine/text-to-image-pipeline.js';
export { coverCrop, resampleCover } from './engine/source-image.js';
export type { CropRect, RgbaPixels, SourceImage } from './engine/source-image.js';
export type {
  GenerateRequest,
  GenerateResult,
  GenerationProgress,
  GenerationStage,
  PipelineOptions,
  StageTimings,
  TensorResidency,
} from './engine/text-to-image-pipeline.js';
export { LocalFilesError, NoImageEncoderError, PipelineError, isAbortError } from './errors.js';
export type { PipelineErrorCode } from './errors.js';
export { chooseExecutionProvider } from './runtime/execution-provider.js';
export {
  canRun,
  checkRequirements,
  probeDevice,
  requirementAdvice,
  requirementError,
} from './runtime/device-requirements.js';
export type {
  AdapterCapabilities,
  DeviceCapabilities,
  ProviderSupport,
  RequirementCheck,
  Shortfall,
  UnmetRequirement,
} from './runtime/device-requirements.js';
export type { ExecutionProvider, ProviderChoice, ProviderPreference } from './runtime/execution-provider.js';
export type { StageLoader, StageSource } from './engine/stage-sessions.js';
export type { OrtRuntime } from './runtime/ort-runtime.js';
export { probeWebNn, WEBNN_DEVICE_TYPES } from './runtime/webnn.js';
export type { WebNnCapabilities, WebNnDeviceType } from './runtime/webnn.js';
export { getModel, loadManifest, parseManifest, resolveFileUrl, ManifestError } from './model/manifest.js';
export type * from './model/manifest-types.js';
export { modelStageNames, stageFile } from './model/manifest-types.js';
export { encodePrompt, preloadTokenizer, tokenizePrompt } from './text/tokenizer.js';
export type { PromptEncodingOptions, TokenizedPrompt } from './text/tokenizer.js';
export { latentsToPixels } from './engine/pixels.js';
export {
  DEFAULT_IMAGE_SIZE,
  MAX_IMAGE_SIZE,
  MIN_IMAGE_SIZE,
  LocalModelRegistry,
  checkLocalFiles,
  importLocalModel,
  isLocalModelId,
  readOnnxSignature,
  stageContract,
} from './storage/local-files/index.js';
export type {
  ImportLocalModelOptions,
  LocalModelFile,
  LocalModelImport,
  LocalModelRecord,
  OnnxSignature,
  TensorSignature,
} from './storage/local-files/index.js';
export { GeneratorClient } from './worker/generator-client.js';
export { AppShellUpdates } from '../app/app-shell.js';
export { GalleryQuotaError, GalleryStore } from '../gallery/gallery-store.js';
export type {
  GalleryEntry,
  GalleryItem,
  GalleryPut,
  GallerySettings,
  GalleryStoreOptions,
  StorageEstimator,
} from '../gallery/gallery-store.js';
export { LatestRequestScheduler, summarize as summarizeLatencies } from './worker/realtime-generator.js';
export type {
  ImageGenerator,
  LatencySummary,
  RealtimeImage,
  RealtimeOptions,
  RealtimeStats,
} from './worker/realtime-generator.js';
export type {
  ClientGenerateRequest,
  DownloadOptions,
  LoadOptions,
  RequestOptions,
} from './worker/generator-client.js';
export type {
  ImageProgress,
  ImageResult,
  LoadedModel,
  ModelProgress,
  ModelSource,
  StoredModel,
  TokenCount,
  WorkerSourceImage,
} from './worker/worker-protocol.js';
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
  verifyStoredModel,
} from './storage/index.js';
export type { ChunkStore, DownloadEvent, DownloadModelOptions, DownloadProgress } from './storage/index.js';
