/** The engine's face: the text-to-image (and image-to-image) pipeline over ORT sessions, and its pixels. */
export {
  TextToImagePipeline,
  MAX_PROMPT_CHARACTERS,
  MAX_STEPS,
  DEFAULT_IMAGE_TO_IMAGE_STEPS,
  DEFAULT_IMAGE_TO_IMAGE_STRENGTH,
  type GenerateRequest,
  type PipelineOptions,
} from './text-to-image-pipeline.js';
export {
  coverCrop,
  resampleCover,
  type CropRect,
  type RgbaPixels,
  type SourceImage,
} from './source-image.js';
export {
  MAX_BATCH,
  batchedModelEntry,
  canBatch,
  freeBatchModelEntry,
  wasmBatchLimit,
  type BatchRequest,
} from './batch-generate.js';
export { latentsToPixels } from './pixels.js';
export type { StageLoader, StageSource, StageStreamer, StageTiming } from './sessions/index.js';
