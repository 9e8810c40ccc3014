/** The model's face: the manifest (what a model is made of and needs) and ONNX file reading. */
export { getModel, loadManifest, parseManifest, resolveFileUrl, ManifestError } from './manifest.js';
export type * from './manifest-types.js';
export { modelStageNames, stageFile } from './manifest-types.js';
export * from './onnx/index.js';
export { widenedModelEntry } from './widened-model-entry.js';
export {
  ImageSizeError,
  defaultImageSize,
  imageSizeProblem,
  sizePresets,
  sizedModelEntry,
  type ImageSize,
  type SizePreset,
} from './sized-model-entry.js';
