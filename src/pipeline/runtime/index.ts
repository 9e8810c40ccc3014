/** The runtime's face: which ORT build and execution provider run the model, and what this device offers. */
export { WIDENED_NOTE, chooseExecutionProvider } from './execution-provider.js';
export {
  canRun,
  checkRequirements,
  chooseMemoryMode,
  lowMemoryReloadSeconds,
  stageWeightBytes,
  type MemoryModeChoice,
  probeDevice,
  requirementAdvice,
  requirementError,
  type AdapterCapabilities,
  type DeviceCapabilities,
  type ProviderSupport,
  type RequirementCheck,
  type Shortfall,
  type UnmetRequirement,
} from './device-requirements.js';
export type { OrtRuntime } from './ort-runtime.js';
export { probeWebNn, WEBNN_DEVICE_TYPES, type WebNnCapabilities } from './webnn.js';
