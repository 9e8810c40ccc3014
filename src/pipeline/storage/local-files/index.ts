/** "Your own files": SD-Turbo ONNX files from the user's disk, checked, stored and listed as a model. */
export {
  importLocalModel,
  MAX_IMAGE_SIZE,
  MIN_IMAGE_SIZE,
  type ImportLocalModelOptions,
  type LocalModelFile,
  type LocalModelImport,
} from './import-local-model.js';
export {
  LocalModelRegistry,
  isLocalModelId,
  withLocalModels,
  LOCAL_MODEL_PREFIX,
  type LocalModelRecord,
} from './local-registry.js';
export { buildLocalEntry, LOCAL_STAGE_PATHS } from './local-entry.js';
export { checkLocalFiles, type CheckedFiles, type CheckOptions } from './stage-contract.js';
export { assignStages, type InspectedFile, type StageAssignment } from './stage-assignment.js';
export { DEFAULT_IMAGE_SIZE } from './model-sizes.js';
export { stageContract, STAGE_LABELS, SD_TURBO_TENSOR_NAMES } from './stage-text.js';
