import {
  checkRequirements,
  probeDevice,
  requirementError,
  type DeviceCapabilities,
  type RequirementCheck,
} from './device-requirements.js';
import type { ModelEntry } from './manifest-types.js';
import type { WebNnDeviceType } from './webnn.js';

/** 'auto' picks WebGPU, else wasm; WebNN only when asked for (its operator coverage varies by browser). */
export type ProviderPreference = 'auto' | 'webgpu' | 'wasm' | 'webnn';
/** ORT execution providers the pipeline runs on; 'cpu' is onnxruntime-node's (Node only, see src/node). */
export type ExecutionProvider = 'webgpu' | 'wasm' | 'webnn' | 'cpu';

/** What the pipeline will run on, and why: shown to the user, so it is worded for people. */
export interface ProviderChoice {
  provider: ExecutionProvider;
  /** Why this provider was chosen; for a fallback, why WebGPU could not be used. */
  reason: string;
  /** True when 'auto' wanted WebGPU but had to fall back to wasm. */
  fellBack: boolean;
  adapterDescription?: string;
  shaderF16: boolean;
  /**
   * A CPU implementation of WebGPU (SwiftShader). Its canvas support is broken in headless Chromium: a
   * WebGPU canvas there destroys every device of the page, so images are read back instead of drawn.
   */
  softwareAdapter: boolean;
  /** For 'webnn': the MLContext device type the sessions use. */
  webnnDeviceType?: WebNnDeviceType;
}

/**
 * Picks WebGPU or wasm for a model from its requirements and this device's adapter. A preference the
 * device cannot satisfy is refused with the error requirementError gives; 'auto' falls back to wasm only
 * for models that fit in wasm memory, and says why.
 */
export async function chooseExecutionProvider(
  preference: ProviderPreference,
  model: ModelEntry,
  gpu: GPU | undefined = globalThis.navigator?.gpu,
  webnnDeviceType: WebNnDeviceType = 'gpu',
): Promise<ProviderChoice> {
  const device =
    preference === 'wasm'
      ? { adapter: null }
      : await probeDevice(gpu, preference === 'webnn' ? { webnnDeviceType } : {});
  const check = checkRequirements(model, device);
  const refusal = requirementError(check, preference);
  if (refusal) throw refusal;
  if (preference === 'webnn') {
    return {
      provider: 'webnn',
      reason: `WebNN (${webnnDeviceType}) was requested.`,
      fellBack: false,
      shaderF16: false,
      softwareAdapter: false,
      webnnDeviceType,
    };
  }
  if (preference !== 'wasm' && check.webgpu.runnable) return webGpuChoice(device);
  return wasmChoice(preference, check);
}

function webGpuChoice(device: DeviceCapabilities): ProviderChoice {
  const adapter = device.adapter!;
  return {
    provider: 'webgpu',
    reason: `WebGPU on ${adapter.description}.`,
    fellBack: false,
    adapterDescription: adapter.description,
    shaderF16: adapter.features.includes('shader-f16'),
    softwareAdapter: adapter.software,
  };
}

function wasmChoice(preference: ProviderPreference, check: RequirementCheck): ProviderChoice {
  const fellBack = preference === 'auto';
  return {
    provider: 'wasm',
    reason: fellBack ? check.webgpu.unmet.map((unmet) => unmet.lack).join(' ') : 'wasm (CPU) was requested.',
    fellBack,
    shaderF16: false,
    softwareAdapter: false,
  };
}
