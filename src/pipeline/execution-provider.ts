import { PipelineError } from './errors.js';

export type ProviderPreference = 'auto' | 'webgpu' | 'wasm';
export type ExecutionProvider = 'webgpu' | 'wasm';

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
}

const NO_WEBGPU =
  'This browser has no WebGPU (navigator.gpu is missing or no GPU adapter is available). ' +
  'Use a recent Chrome, Edge or Safari with WebGPU enabled, or choose the slower wasm (CPU) provider.';
const NO_SHADER_F16 =
  'This model has FP16 weights, and the GPU adapter does not support the WebGPU feature "shader-f16", ' +
  'so WebGPU would compute wrong results. Use a GPU/browser with shader-f16, an FP32 model, or the wasm (CPU) provider.';

async function requestAdapter(gpu: GPU | undefined): Promise<GPUAdapter | null> {
  if (!gpu) return null;
  try {
    return await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    return null;
  }
}

function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return (
    info.isFallbackAdapter === true ||
    /swiftshader/i.test(`${info.vendor} ${info.architecture} ${info.description}`)
  );
}

function describeAdapter(adapter: GPUAdapter): string {
  const { vendor, architecture, description } = adapter.info;
  return [vendor, architecture, description].filter(Boolean).join(' ') || 'unknown adapter';
}

/**
 * Picks WebGPU or wasm for a model. An explicit 'webgpu' that cannot work is refused with a clear
 * error; 'auto' falls back to wasm and says why.
 */
export async function chooseExecutionProvider(
  preference: ProviderPreference,
  weights: 'fp32' | 'fp16',
  gpu: GPU | undefined = globalThis.navigator?.gpu,
): Promise<ProviderChoice> {
  if (preference === 'wasm') {
    return {
      provider: 'wasm',
      reason: 'wasm (CPU) was requested.',
      fellBack: false,
      shaderF16: false,
      softwareAdapter: false,
    };
  }
  const adapter = await requestAdapter(gpu);
  if (!adapter) {
    if (preference === 'webgpu') throw new PipelineError('no-webgpu', NO_WEBGPU);
    return { provider: 'wasm', reason: NO_WEBGPU, fellBack: true, shaderF16: false, softwareAdapter: false };
  }
  const shaderF16 = adapter.features.has('shader-f16');
  const adapterDescription = describeAdapter(adapter);
  const softwareAdapter = isSoftwareAdapter(adapter);
  if (weights === 'fp16' && !shaderF16) {
    if (preference === 'webgpu') throw new PipelineError('no-shader-f16', NO_SHADER_F16);
    return {
      provider: 'wasm',
      reason: NO_SHADER_F16,
      fellBack: true,
      adapterDescription,
      shaderF16,
      softwareAdapter,
    };
  }
  return {
    provider: 'webgpu',
    reason: `WebGPU on ${adapterDescription}.`,
    fellBack: false,
    adapterDescription,
    shaderF16,
    softwareAdapter,
  };
}
