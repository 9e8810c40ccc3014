/** The pipeline's public face: what components and embedding pages may use. */
export {
  TextToImagePipeline,
  MAX_PROMPT_CHARACTERS,
  MAX_STEPS,
  DEFAULT_IMAGE_TO_IMAGE_STEPS,
  DEFAULT_IMAGE_TO_IMAGE_STRENGTH,
} from './pipeline.js';
export { coverCrop, resampleCover } from './source-image.js';
export type { CropRect, RgbaPixels, SourceImage } from './source-image.js';
export type {
  GenerateRequest,
  GenerateResult,
  GenerationProgress,
  GenerationStage,
  PipelineOptions,
  StageTimings,
  TensorResidency,
} from './pipeline.js';
export { LocalFilesError, NoImageEncoderError, PipelineError, isAbortError } from './errors.js';
export type { PipelineErrorCode } from './errors.js';
export { WIDENED_NOTE, chooseExecutionProvider } from './execution-provider.js';
export {
  canRun,
  checkRequirements,
  probeDevice,
  requirementAdvice,
  requirementError,
} from './device-requirements.js';
export type {
  AdapterCapabilities,
  DeviceCapabilities,
  ProviderSupport,
  RequirementCheck,
  Shortfall,
  UnmetRequirement,
} from './device-requirements.js';
export type { ExecutionProvider, ProviderChoice, ProviderPreference } from './execution-provider.js';
export type { WeightPrecision } from './manifest-types.js';
export type { StageLoader, StageSource } from './stage-sessions.js';
export type { OrtRuntime } from './ort-runtime.js';
export { probeWebNn, WEBNN_DEVICE_TYPES } from './webnn.js';
export type { WebNnCapabilities, WebNnDeviceType } from './webnn.js';
export { getModel, loadManifest, parseManifest, resolveFileUrl, ManifestError } from './manifest.js';
export type * from './manifest-types.js';
export { modelStageNames, stageFile } from './manifest-types.js';
export { encodePrompt, preloadTokenizer, tokenizePrompt } from './tokenizer.js';
export type { PromptEncodingOptions, TokenizedPrompt } from './tokenizer.js';
export { latentsToPixels } from './pixels.js';
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
} from './local-files/index.js';
export type {
  ImportLocalModelOptions,
  LocalModelFile,
  LocalModelImport,
  LocalModelRecord,
  OnnxSignature,
  TensorSignature,
} from './local-files/index.js';
export { GeneratorClient } from './generator-client.js';
export { AppShellUpdates } from './app-shell.js';
export { GalleryQuotaError, GalleryStore } from './gallery-store.js';
export type {
  GalleryEntry,
  GalleryItem,
  GalleryPut,
  GallerySettings,
  GalleryStoreOptions,
  StorageEstimator,
} from './gallery-store.js';
export { LatestRequestScheduler, summarize as summarizeLatencies } from './realtime-generator.js';
export type {
  ImageGenerator,
  LatencySummary,
  RealtimeImage,
  RealtimeOptions,
  RealtimeStats,
} from './realtime-generator.js';
export type {
  ClientGenerateRequest,
  DownloadOptions,
  LoadOptions,
  RequestOptions,
} from './generator-client.js';
export type {
  ImageProgress,
  ImageResult,
  LoadedModel,
  ModelProgress,
  ModelSource,
  StoredModel,
  TokenCount,
  WorkerSourceImage,
} from './worker-protocol.js';
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
} from './download/index.js';
export type { ChunkStore, DownloadEvent, DownloadModelOptions, DownloadProgress } from './download/index.js';
