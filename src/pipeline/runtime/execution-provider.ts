import {
  checkRequirements,
  probeDevice,
  requirementError,
  type DeviceCapabilities,
  type RequirementCheck,
} from './device-requirements.js';
import type { ModelEntry } from '../model/manifest-types.js';
import type { ProviderChoice, ProviderPreference, WebNnDeviceType } from '../types.js';

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
  return chooseProviderFor(preference, model, device, webnnDeviceType);
}

/**
 * chooseExecutionProvider on capabilities probed already: the pipeline worker probes the device once and
 * passes what it found on, so that the check that refused a download and the choice agree.
 */
export function chooseProviderFor(
  preference: ProviderPreference,
  model: ModelEntry,
  device: DeviceCapabilities,
  webnnDeviceType: WebNnDeviceType = 'gpu',
): ProviderChoice {
  // wasm is checked as if there were no adapter, whatever the device has.
  const check = checkRequirements(model, preference === 'wasm' ? { adapter: null } : device);
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
  if (preference !== 'wasm' && check.webgpu.runnable) return webGpuChoice(device, check);
  return wasmChoice(preference, check);
}

/** The words the first-run panel and Settings use for widened weights. */
export const WIDENED_NOTE = 'FP32 on this GPU: twice the memory';

function webGpuChoice(device: DeviceCapabilities, check: RequirementCheck): ProviderChoice {
  const adapter = device.adapter!;
  const widened = check.webgpu.precision === 'fp32-widened';
  return {
    provider: 'webgpu',
    reason: widened
      ? `WebGPU on ${adapter.description}. ${WIDENED_NOTE} (this adapter lacks "shader-f16", so the FP16 weights are widened to FP32 as they load).`
      : `WebGPU on ${adapter.description}.`,
    fellBack: false,
    adapterDescription: adapter.description,
    shaderF16: adapter.features.includes('shader-f16'),
    softwareAdapter: adapter.software,
    ...(check.webgpu.precision ? { precision: check.webgpu.precision } : {}),
    adapterLimits: { ...adapter.limits },
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
