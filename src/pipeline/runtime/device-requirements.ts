/**
 * Whether this device can run a model, from the manifest's `requires` and the real WebGPU adapter. It
 * runs before anything is downloaded: a 2.5 GB download that cannot end in an image is worse than none.
 */
import { PipelineError, type PipelineErrorCode } from '../errors.js';
import type {
  MemoryMode,
  MemoryPreference,
  ProviderPreference as Preference,
  WebNnDeviceType,
} from '../types.js';
import type {
  ModelEntry,
  ModelFile,
  ModelStageName,
  WeightPrecision,
  WebGpuRequirements,
} from '../model/manifest-types.js';
import { probeWebNn, type WebNnCapabilities } from './webnn.js';

/** The adapter facts a requirement check reads; plain data, so it crosses from the Worker to the page. */
export interface AdapterCapabilities {
  /** Vendor, architecture and description, for messages. */
  description: string;
  /** A CPU implementation of WebGPU (SwiftShader). */
  software: boolean;
  features: readonly string[];
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
}

export interface DeviceCapabilities {
  /** null when the browser has no WebGPU or gives no adapter. */
  adapter: AdapterCapabilities | null;
  /** `navigator.deviceMemory` in bytes (rounded down by the browser, at most 8 GiB); absent where unknown. */
  memoryBytes?: number;
  /** Whether WebNN gives a context for one device type; absent where not probed. */
  webnn?: WebNnCapabilities;
}

/** The requirement that is not met; 'model': the model is not made for the provider on any device. */
export type Shortfall =
  | 'model'
  | 'webgpu'
  | 'shader-f16'
  | 'max-storage-buffer-binding-size'
  | 'max-buffer-size'
  | 'memory'
  | 'webnn';

export interface UnmetRequirement {
  shortfall: Shortfall;
  /** What this device (or the model) lacks, worded for people. */
  lack: string;
  /** What to do about it. */
  remedy: string;
}

export interface ProviderSupport {
  runnable: boolean;
  /** Empty when runnable. */
  unmet: UnmetRequirement[];
  /**
   * WebGPU only: the precision the weights would run in here. 'fp32-widened': the adapter lacks
   * `shader-f16`, so FP16 weights are widened to FP32 as they load (twice the GPU memory).
   */
  precision?: WeightPrecision;
  /** With 'fp32-widened': the bytes of GPU memory the widened weights take. */
  widenedWeightBytes?: number;
}

export interface RequirementCheck {
  modelId: string;
  modelName: string;
  webgpu: ProviderSupport;
  wasm: ProviderSupport;
  /** ORT's WebNN EP, for the device type probed (DeviceCapabilities.webnn); not runnable where not probed. */
  webnn: ProviderSupport;
}

const GIB = 1024 ** 3;
const SMALLER_MODEL = 'Or choose a smaller model.';

/**
 * The adapter and memory of this browser; `gpu` is `navigator.gpu` (also in Workers). WebNN is probed
 * only when a device type is given: creating an MLContext is not free where WebNN exists.
 */
export async function probeDevice(
  gpu: GPU | undefined = globalThis.navigator?.gpu,
  options: { webnnDeviceType?: WebNnDeviceType } = {},
): Promise<DeviceCapabilities> {
  const adapter = await requestAdapter(gpu);
  const memoryGiB = (globalThis.navigator as { deviceMemory?: number } | undefined)?.deviceMemory;
  const webnn = options.webnnDeviceType ? await probeWebNn(options.webnnDeviceType) : undefined;
  return {
    adapter: adapter && describeCapabilities(adapter),
    ...(memoryGiB === undefined ? {} : { memoryBytes: memoryGiB * GIB }),
    ...(webnn ? { webnn } : {}),
  };
}

async function requestAdapter(gpu: GPU | undefined): Promise<GPUAdapter | null> {
  if (!gpu) return null;
  try {
    return await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    return null;
  }
}

function describeCapabilities(adapter: GPUAdapter): AdapterCapabilities {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const description = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
  return {
    description: description || 'unknown adapter',
    software: info.isFallbackAdapter === true || /swiftshader/i.test(description),
    features: [...adapter.features],
    limits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  };
}

/** Checks the model's requirements for each provider against what this device offers. */
export function checkRequirements(model: ModelEntry, device: DeviceCapabilities): RequirementCheck {
  const webgpu = webGpuSupport(model, device);
  const wasm = wasmShortfalls(model, device.memoryBytes);
  const webnn = device.webnn ? webNnShortfalls(device.webnn) : undefined;
  return {
    modelId: model.id,
    modelName: model.name,
    webgpu,
    wasm: { runnable: wasm.length === 0, unmet: wasm },
    webnn: webnn ? { runnable: webnn.length === 0, unmet: webnn } : WEBNN_NOT_PROBED,
  };
}

/**
 * The manifest states no WebNN requirements: ORT's WebNN EP hands operators WebNN lacks to wasm, so a
 * context is what this device must offer. Static shapes come from each stage's freeDimensionOverrides.
 */
function webNnShortfalls(webnn: WebNnCapabilities): UnmetRequirement[] {
  if (webnn.available) return [];
  return [
    {
      shortfall: 'webnn',
      lack: `WebNN cannot run here: navigator.ml.createContext({ deviceType: '${webnn.deviceType}' }) failed: ${webnn.error}`,
      remedy:
        'Use a browser and platform with WebNN (Chrome or Edge with WebNN enabled on Windows, macOS or ChromeOS), ' +
        'another WebNN device type, or run on WebGPU or wasm.',
    },
  ];
}

/**
 * FP16 weights on an adapter without `shader-f16` run widened to FP32 where the manifest states what that
 * form needs and the device has it; the FP16 requirements apply otherwise.
 */
function webGpuSupport(model: ModelEntry, device: DeviceCapabilities): ProviderSupport {
  const needs = model.requires.webgpu;
  const adapter = device.adapter;
  if (!needs || !adapter) {
    const unmet = webGpuShortfalls(model, adapter);
    return { runnable: unmet.length === 0, unmet };
  }
  const widened = needs.shaderF16 && !adapter.features.includes('shader-f16') ? needs.fp32Widened : undefined;
  if (!widened) {
    const unmet = webGpuShortfalls(model, adapter);
    const precision = model.weights;
    return { runnable: unmet.length === 0, unmet, precision };
  }
  const unmet = [
    ...limitShortfalls(
      model,
      adapter,
      widened,
      ' in FP32 (this adapter lacks "shader-f16", so the FP16 weights are widened)',
    ),
    ...widenedMemoryShortfalls(model, widened.weightBytes, device.memoryBytes),
  ];
  return {
    runnable: unmet.length === 0,
    unmet,
    precision: 'fp32-widened',
    widenedWeightBytes: widened.weightBytes,
  };
}

function webGpuShortfalls(model: ModelEntry, adapter: AdapterCapabilities | null): UnmetRequirement[] {
  const needs = model.requires.webgpu;
  if (!needs) {
    return [
      {
        shortfall: 'model',
        lack: `${model.name} is not made to run on WebGPU.`,
        remedy: 'Run it on wasm (CPU).',
      },
    ];
  }
  if (!adapter) {
    return [
      {
        shortfall: 'webgpu',
        lack: 'This browser has no WebGPU (navigator.gpu is missing or no GPU adapter is available).',
        remedy: 'Use a browser with WebGPU enabled: a recent Chrome, Edge or Safari.',
      },
    ];
  }
  const unmet: UnmetRequirement[] = [];
  if (needs.shaderF16 && !adapter.features.includes('shader-f16')) {
    unmet.push({
      shortfall: 'shader-f16',
      lack: `The GPU adapter (${adapter.description}) lacks the WebGPU feature "shader-f16", which ${model.name}'s FP16 weights need.`,
      remedy: 'Use a GPU and browser with "shader-f16": Chrome or Edge 121+ on most GPUs made since 2020.',
    });
  }
  return [...unmet, ...limitShortfalls(model, adapter, needs, '')];
}

function limitShortfalls(
  model: ModelEntry,
  adapter: AdapterCapabilities,
  needs: Pick<WebGpuRequirements, 'maxStorageBufferBindingSize' | 'maxBufferSize'>,
  form: string,
): UnmetRequirement[] {
  const limits: [Shortfall, string, number, number][] = [
    [
      'max-storage-buffer-binding-size',
      'storage buffer binding',
      needs.maxStorageBufferBindingSize,
      adapter.limits.maxStorageBufferBindingSize,
    ],
    ['max-buffer-size', 'GPU buffer', needs.maxBufferSize, adapter.limits.maxBufferSize],
  ];
  return limits
    .filter(([, , needed, offered]) => offered < needed)
    .map(([shortfall, what, needed, offered]) => ({
      shortfall,
      lack: `The GPU adapter (${adapter.description}) allows at most ${mebibytes(offered)} per ${what}; ${model.name} needs ${mebibytes(needed)}${form}.`,
      remedy:
        'Use a GPU whose WebGPU adapter allows larger buffers (most discrete and recent integrated GPUs).',
    }));
}

function widenedMemoryShortfalls(
  model: ModelEntry,
  weightBytes: number,
  memoryBytes: number | undefined,
): UnmetRequirement[] {
  if (memoryBytes === undefined || memoryBytes >= weightBytes) return [];
  return [
    {
      shortfall: 'memory',
      lack: `${model.name} widened to FP32 (this adapter lacks "shader-f16") needs ${gibibytes(weightBytes)} for its weights; this device reports ${gibibytes(memoryBytes)}.`,
      remedy: 'Use a device with more memory, or a GPU with "shader-f16".',
    },
  ];
}

function wasmShortfalls(model: ModelEntry, memoryBytes: number | undefined): UnmetRequirement[] {
  const needs = model.requires.wasm;
  if (!needs) {
    return [
      {
        shortfall: 'model',
        lack: `${model.name} does not fit in wasm (CPU) memory: loading it there needs more than the 4 GiB a WebAssembly heap can hold.`,
        remedy: 'Run it on WebGPU.',
      },
    ];
  }
  if (memoryBytes !== undefined && memoryBytes < needs.heapBytes) {
    return [
      {
        shortfall: 'memory',
        lack: `${model.name} needs ${gibibytes(needs.heapBytes)} of memory on wasm (CPU); this device reports ${gibibytes(memoryBytes)}.`,
        remedy: 'Use a device with more memory.',
      },
    ];
  }
  return [];
}

/** Whether the model can run with this provider preference ('auto': on either provider). */
export function canRun(check: RequirementCheck, preference: Preference): boolean {
  if (preference === 'auto') return check.webgpu.runnable || check.wasm.runnable;
  return check[preference].runnable;
}

/**
 * The error to refuse the model with, or undefined when it can run. Its code names the precise cause
 * where there is one: 'no-webgpu' or 'no-shader-f16' when that alone keeps WebGPU from running it.
 */
export function requirementError(check: RequirementCheck, preference: Preference): PipelineError | undefined {
  if (canRun(check, preference)) return undefined;
  const lacks = providersOf(preference).flatMap((provider) =>
    check[provider].unmet.map((unmet) => unmet.lack),
  );
  const message = `${check.modelName} cannot run on this device. ${lacks.join(' ')} ${requirementAdvice(check, preference)}`;
  return new PipelineError(errorCode(check, preference), message);
}

function errorCode(check: RequirementCheck, preference: Preference): PipelineErrorCode {
  if (preference === 'wasm' || preference === 'webnn') return 'unsupported-device';
  const [only, ...others] = check.webgpu.unmet;
  if (others.length > 0) return 'unsupported-device';
  if (only.shortfall === 'webgpu') return 'no-webgpu';
  if (only.shortfall === 'shader-f16') return 'no-shader-f16';
  return 'unsupported-device';
}

/**
 * What to do, for a model that cannot run with this preference: each remedy once, then a smaller model.
 * With 'auto' both providers were tried, so "run it on the other provider" is no remedy.
 */
export function requirementAdvice(check: RequirementCheck, preference: Preference): string {
  const remedies = providersOf(preference)
    .flatMap((provider) => check[provider].unmet)
    .filter((unmet) => !(preference === 'auto' && unmet.shortfall === 'model'))
    .map((unmet) => unmet.remedy);
  return [...new Set(remedies), SMALLER_MODEL].join(' ');
}

type CheckedProvider = Exclude<Preference, 'auto'>;

function providersOf(preference: Preference): readonly CheckedProvider[] {
  return preference === 'auto' ? ['webgpu', 'wasm'] : [preference];
}

const WEBNN_NOT_PROBED: ProviderSupport = {
  runnable: false,
  unmet: [
    {
      shortfall: 'webnn',
      lack: 'WebNN was not checked on this device.',
      remedy: "Check it with probeDevice(gpu, { webnnDeviceType: 'gpu' }).",
    },
  ],
};

function mebibytes(bytes: number): string {
  return `${Math.round(bytes / 1024 ** 2)} MiB`;
}

function gibibytes(bytes: number): string {
  return `${(bytes / GIB).toFixed(2)} GiB`;
}

/** The memory mode a pipeline loads in, and why (worded for people). */
export interface MemoryModeChoice {
  mode: MemoryMode;
  reason: string;
  /** Low-memory mode: the UNet runs in this many parts, each loaded alone (1: whole). */
  unetParts: number;
}

/** More parts would add session churn and read-backs for little memory (each part costs a session). */
const MAX_UNET_PARTS = 6;

/**
 * How many parts low-memory mode cuts the UNet into: enough that no part holds more than half the weights
 * of the largest other text-to-image stage (SD-Turbo: 6 parts of about 0.29 GB beside a 0.68 GB text
 * encoder). Half, because a session's creation briefly holds its weights about twice over (the browser's
 * staging copies of them, freed once the GPU has copied them): with parts as large as the text encoder,
 * their creation still set the peak (docs/benchmarks/results/2026-12-07.md).
 */
export function lowMemoryUnetParts(model: ModelEntry, precision?: WeightPrecision): number {
  const bytes = stageWeightBytes(model, precision);
  const others = Math.max(bytes.textEncoder ?? 0, bytes.vaeDecoder ?? 0);
  if (others <= 0) return 1;
  return Math.min(MAX_UNET_PARTS, Math.max(1, Math.ceil((bytes.unet ?? 0) / (others / 2))));
}

/** The most weights low-memory mode holds at once: the largest stage, the UNet counted by its parts. */
function largestLowMemoryUnit(model: ModelEntry, precision?: WeightPrecision): number {
  const bytes = stageWeightBytes(model, precision);
  const parts = lowMemoryUnetParts(model, precision);
  return Math.max(...Object.entries(bytes).map(([stage, size]) => (stage === 'unet' ? size / parts : size)));
}

function lowMemoryChoice(model: ModelEntry, reason: string, precision?: WeightPrecision): MemoryModeChoice {
  const unetParts = lowMemoryUnetParts(model, precision);
  const inParts = unetParts > 1 ? ` The UNet runs in ${unetParts} parts, one loaded at a time.` : '';
  return { mode: 'low', reason: `${reason}${inParts}`, unetParts };
}

/**
 * Bytes each stage's weights take once loaded: its file's bytes, twice that for FP16 widened to FP32.
 * The stages text to image holds; the VAE encoder too where the model has one (image to image).
 */
export function stageWeightBytes(
  model: ModelEntry,
  precision: WeightPrecision = model.weights,
): Partial<Record<ModelStageName, number>> {
  const factor = precision === 'fp32-widened' ? 2 : 1;
  const bytes: Partial<Record<ModelStageName, number>> = {};
  for (const [stage, spec] of Object.entries(model.stages) as [ModelStageName, { file: ModelFile }][]) {
    bytes[stage] = (spec.file.bytes ?? spec.file.approxBytes ?? 0) * factor;
  }
  return bytes;
}

/**
 * Reading a stage from the store and creating its session, in stage bytes per second: measured by
 * `npm run bench:load -- --model standin-sd-turbo-fp32 --memory low --size 256` (2.53 GB of stages read and
 * created again in 20.8 s for the second image, `detail.steadyImageStageSessions.loadMs`, SwiftShader on
 * 2 cores; docs/benchmarks/results/2026-12-07.md#low-memory-mode-the-unet-in-parts).
 */
export const STAGE_RELOAD_BYTES_PER_SECOND = 120e6;

/** What low-memory mode adds to each image: the text-to-image stages read and created again. */
export function lowMemoryReloadSeconds(model: ModelEntry, precision?: WeightPrecision): number {
  const bytes = stageWeightBytes(model, precision);
  const reloaded = (bytes.textEncoder ?? 0) + (bytes.unet ?? 0) + (bytes.vaeDecoder ?? 0);
  return reloaded / STAGE_RELOAD_BYTES_PER_SECOND;
}

/**
 * 'auto' keeps every stage resident where their weights together fit in the device's memory, and loads
 * one stage at a time where only the largest does: the sum of the stage bytes against the largest.
 * Unknown memory (no `navigator.deviceMemory`) keeps the stages resident, as before this mode existed.
 */
export function chooseMemoryMode(
  model: ModelEntry,
  device: DeviceCapabilities | undefined,
  preference: MemoryPreference = 'auto',
  precision?: WeightPrecision,
): MemoryModeChoice {
  if (preference === 'resident') {
    return { mode: 'resident', reason: 'Every stage stays loaded, as asked.', unetParts: 1 };
  }
  if (preference === 'low') {
    return lowMemoryChoice(
      model,
      'Low-memory mode, as asked: each image loads one stage at a time.',
      precision,
    );
  }
  if (preference !== 'auto') {
    throw new PipelineError(
      'invalid-input',
      `The memory mode must be "auto", "resident" or "low", got ${JSON.stringify(preference)}.`,
    );
  }
  const bytes = Object.values(stageWeightBytes(model, precision));
  const total = bytes.reduce((sum, stage) => sum + stage, 0);
  const memory = device?.memoryBytes;
  if (memory === undefined) {
    return {
      mode: 'resident',
      reason: 'This browser does not report its memory: every stage stays loaded.',
      unetParts: 1,
    };
  }
  if (total <= memory) {
    return {
      mode: 'resident',
      reason: `The stages (${gibibytes(total)}) fit in this device's ${gibibytes(memory)}: every stage stays loaded.`,
      unetParts: 1,
    };
  }
  const largest = largestLowMemoryUnit(model, precision);
  return lowMemoryChoice(
    model,
    `The stages together (${gibibytes(total)}) exceed this device's ${gibibytes(memory)}; at most ` +
      `${gibibytes(largest)} of weights is loaded at once: low-memory mode reloads the stages for every image.`,
    precision,
  );
}
