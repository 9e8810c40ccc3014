/**
 * The requirement check against fake adapters (features and limits), and chooseExecutionProvider on
 * fake `navigator.gpu` objects: every reason a device can fall short, with its words and error code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  canRun,
  checkRequirements,
  requirementAdvice,
  requirementError,
  type AdapterCapabilities,
  type DeviceCapabilities,
} from '../src/pipeline/runtime/device-requirements';
import { chooseExecutionProvider } from '../src/pipeline/runtime/execution-provider';
import { getModel, parseManifest } from '../src/pipeline/model/manifest';
import type { ModelEntry } from '../src/pipeline/model/manifest-types';

const manifest = parseManifest(
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'model-manifest.json'), 'utf8')),
);
const sdTurbo = getModel(manifest, 'sd-turbo');
const tinyFp32 = getModel(manifest, 'tiny-fp32');
const tinyFp16 = getModel(manifest, 'tiny-fp16');

/** The model as a manifest without an FP32 form states it: no way to run without shader-f16. */
function withoutWidening(model: ModelEntry): ModelEntry {
  const webgpu = model.requires.webgpu;
  if (!webgpu) throw new Error(`${model.id} has no WebGPU requirements`);
  const fp16Only = { ...webgpu };
  delete fp16Only.fp32Widened;
  return { ...model, requires: { ...model.requires, webgpu: fp16Only } };
}
const sdTurboFp16Only = withoutWidening(sdTurbo);
const tinyFp16Only = withoutWidening(tinyFp16);

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** A discrete GPU with shader-f16 and 1 GiB buffers: runs everything. */
function adapter(overrides: Partial<AdapterCapabilities> = {}): AdapterCapabilities {
  return {
    description: 'nvidia ampere',
    software: false,
    features: ['shader-f16', 'timestamp-query'],
    limits: { maxStorageBufferBindingSize: GiB, maxBufferSize: GiB },
    ...overrides,
  };
}

/** What headless Chromium's SwiftShader reports: 1 GiB limits, no shader-f16. */
const swiftShader = adapter({
  description: 'google swiftshader',
  software: true,
  features: ['subgroups', 'timestamp-query', 'float32-filterable'],
});
/** An adapter at WebGPU's default limits (128 MiB binding, 256 MiB buffer), with shader-f16. */
const defaultLimits = adapter({
  limits: { maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 256 * MiB },
});

const device = (gpu: AdapterCapabilities | null, memoryBytes?: number): DeviceCapabilities => ({
  adapter: gpu,
  ...(memoryBytes === undefined ? {} : { memoryBytes }),
});

describe('checkRequirements', () => {
  it('lets a GPU with shader-f16 and large enough buffers run SD-Turbo on WebGPU, never on wasm', () => {
    const check = checkRequirements(sdTurbo, device(adapter(), 16 * GiB));
    expect(check.webgpu).toEqual({ runnable: true, unmet: [], precision: 'fp16' });
    expect(check.wasm.runnable).toBe(false);
    expect(check.wasm.unmet).toEqual([
      {
        shortfall: 'model',
        lack: 'SD-Turbo (FP16 weights, 512x512) does not fit in wasm (CPU) memory: loading it there needs more than the 4 GiB a WebAssembly heap can hold.',
        remedy: 'Run it on WebGPU.',
      },
    ]);
    expect(canRun(check, 'auto')).toBe(true);
    expect(canRun(check, 'wasm')).toBe(false);
  });

  it('names a missing shader-f16 with the adapter, and what to do, for a model with no FP32 form', () => {
    const check = checkRequirements(sdTurboFp16Only, device(swiftShader));
    expect(check.webgpu.runnable).toBe(false);
    expect(check.webgpu.unmet).toEqual([
      {
        shortfall: 'shader-f16',
        lack: 'The GPU adapter (google swiftshader) lacks the WebGPU feature "shader-f16", which SD-Turbo (FP16 weights, 512x512)\'s FP16 weights need.',
        remedy: 'Use a GPU and browser with "shader-f16": Chrome or Edge 121+ on most GPUs made since 2020.',
      },
    ]);
    expect(canRun(check, 'auto')).toBe(false);
  });

  it("says when the adapter's storage binding or buffer limit is below the model's largest tensor", () => {
    const check = checkRequirements(sdTurbo, device(defaultLimits));
    expect(check.webgpu.unmet.map((unmet) => [unmet.shortfall, unmet.lack])).toEqual([
      [
        'max-storage-buffer-binding-size',
        'The GPU adapter (nvidia ampere) allows at most 128 MiB per storage buffer binding; SD-Turbo (FP16 weights, 512x512) needs 160 MiB.',
      ],
    ]);
    const smallBuffers = checkRequirements(
      sdTurbo,
      device(adapter({ limits: { maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 128 * MiB } })),
    );
    expect(smallBuffers.webgpu.unmet.map((unmet) => unmet.shortfall)).toEqual([
      'max-storage-buffer-binding-size',
      'max-buffer-size',
    ]);
    expect(smallBuffers.webgpu.unmet[1].lack).toContain('at most 128 MiB per GPU buffer');
  });

  it('says when the browser has no WebGPU at all', () => {
    const check = checkRequirements(tinyFp32, device(null));
    expect(check.webgpu.unmet).toEqual([
      {
        shortfall: 'webgpu',
        lack: 'This browser has no WebGPU (navigator.gpu is missing or no GPU adapter is available).',
        remedy: 'Use a browser with WebGPU enabled: a recent Chrome, Edge or Safari.',
      },
    ]);
    expect(check.wasm).toEqual({ runnable: true, unmet: [] });
  });

  it("says when the device's reported memory is below the wasm heap the model needs", () => {
    const check = checkRequirements(tinyFp32, device(null, 32 * MiB));
    expect(check.wasm.unmet).toEqual([
      {
        shortfall: 'memory',
        lack: 'Tiny test model (FP32, random weights, 64x64) needs 0.06 GiB of memory on wasm (CPU); this device reports 0.03 GiB.',
        remedy: 'Use a device with more memory.',
      },
    ]);
  });

  it('runs the tiny models everywhere: tiny-fp16 widened to FP32 where the GPU lacks shader-f16', () => {
    for (const gpu of [adapter(), swiftShader, defaultLimits, null]) {
      expect(canRun(checkRequirements(tinyFp32, device(gpu)), 'auto')).toBe(true);
      expect(canRun(checkRequirements(tinyFp16, device(gpu)), 'auto')).toBe(true);
    }
    expect(checkRequirements(tinyFp32, device(swiftShader)).webgpu).toEqual({
      runnable: true,
      unmet: [],
      precision: 'fp32',
    });
    expect(checkRequirements(tinyFp16, device(swiftShader)).webgpu).toEqual({
      runnable: true,
      unmet: [],
      precision: 'fp32-widened',
      widenedWeightBytes: 6664966,
    });
    expect(checkRequirements(tinyFp16Only, device(swiftShader)).webgpu.unmet[0].shortfall).toBe('shader-f16');
  });

  it('offers SD-Turbo widened to FP32 without shader-f16 where the FP32 tensors and weights fit', () => {
    const check = checkRequirements(sdTurbo, device(swiftShader, 8 * GiB));
    expect(check.webgpu).toEqual({
      runnable: true,
      unmet: [],
      precision: 'fp32-widened',
      widenedWeightBytes: 5027835362,
    });
    // The FP16 form's 160 MiB attention scores are 320 MiB in FP32: 256 MiB bindings hold one, not the other.
    const midLimits = adapter({
      features: [],
      limits: { maxStorageBufferBindingSize: 256 * MiB, maxBufferSize: GiB },
    });
    expect(checkRequirements(sdTurbo, device(midLimits)).webgpu.unmet).toEqual([
      {
        shortfall: 'max-storage-buffer-binding-size',
        lack:
          'The GPU adapter (nvidia ampere) allows at most 256 MiB per storage buffer binding; SD-Turbo (FP16 weights, 512x512) ' +
          'needs 320 MiB in FP32 (this adapter lacks "shader-f16", so the FP16 weights are widened).',
        remedy:
          'Use a GPU whose WebGPU adapter allows larger buffers (most discrete and recent integrated GPUs).',
      },
    ]);
    expect(
      checkRequirements(sdTurbo, device({ ...midLimits, features: ['shader-f16'] })).webgpu.runnable,
    ).toBe(true);
  });

  it("refuses the widened form where the device's reported memory is below its FP32 weights", () => {
    const check = checkRequirements(sdTurbo, device(swiftShader, 4 * GiB));
    expect(check.webgpu.runnable).toBe(false);
    expect(check.webgpu.unmet).toEqual([
      {
        shortfall: 'memory',
        lack: 'SD-Turbo (FP16 weights, 512x512) widened to FP32 (this adapter lacks "shader-f16") needs 4.68 GiB for its weights; this device reports 4.00 GiB.',
        remedy: 'Use a device with more memory, or a GPU with "shader-f16".',
      },
    ]);
    expect(requirementError(check, 'auto')?.code).toBe('unsupported-device');
  });
});

describe('requirementError', () => {
  it('is undefined where the model can run with the preference', () => {
    expect(requirementError(checkRequirements(sdTurbo, device(adapter())), 'auto')).toBeUndefined();
    expect(requirementError(checkRequirements(tinyFp16, device(swiftShader)), 'auto')).toBeUndefined();
    expect(requirementError(checkRequirements(tinyFp16, device(swiftShader)), 'webgpu')).toBeUndefined();
  });

  it("refuses an FP16 model with no FP32 form on SwiftShader with 'no-shader-f16', saying why both providers fail", () => {
    const error = requirementError(checkRequirements(sdTurboFp16Only, device(swiftShader)), 'auto')!;
    expect(error.code).toBe('no-shader-f16');
    expect(error.message).toBe(
      'SD-Turbo (FP16 weights, 512x512) cannot run on this device. ' +
        'The GPU adapter (google swiftshader) lacks the WebGPU feature "shader-f16", which SD-Turbo (FP16 weights, 512x512)\'s FP16 weights need. ' +
        'SD-Turbo (FP16 weights, 512x512) does not fit in wasm (CPU) memory: loading it there needs more than the 4 GiB a WebAssembly heap can hold. ' +
        'Use a GPU and browser with "shader-f16": Chrome or Edge 121+ on most GPUs made since 2020. Or choose a smaller model.',
    );
  });

  it("uses 'no-webgpu' without WebGPU, and 'unsupported-device' for limits, several causes or wasm", () => {
    expect(requirementError(checkRequirements(sdTurbo, device(null)), 'auto')?.code).toBe('no-webgpu');
    expect(requirementError(checkRequirements(tinyFp32, device(null)), 'webgpu')?.code).toBe('no-webgpu');
    expect(requirementError(checkRequirements(sdTurbo, device(defaultLimits)), 'auto')?.code).toBe(
      'unsupported-device',
    );
    const noF16SmallLimits = adapter({ features: [], limits: defaultLimits.limits });
    expect(requirementError(checkRequirements(sdTurbo, device(noF16SmallLimits)), 'webgpu')?.code).toBe(
      'unsupported-device',
    );
    const onWasm = requirementError(checkRequirements(sdTurbo, device(adapter())), 'wasm');
    expect(onWasm?.code).toBe('unsupported-device');
    expect(onWasm?.message).toContain('Run it on WebGPU.');
  });

  it('refuses an FP16 model with no FP32 form on WebGPU without shader-f16 when WebGPU was asked for', () => {
    const error = requirementError(checkRequirements(tinyFp16Only, device(swiftShader)), 'webgpu');
    expect(error?.code).toBe('no-shader-f16');
  });
});

describe('requirementAdvice', () => {
  it('gives each remedy once, then a smaller model; with auto, never "run it on the other provider"', () => {
    const noF16SmallLimits = adapter({
      features: [],
      limits: { maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 128 * MiB },
    });
    expect(requirementAdvice(checkRequirements(sdTurboFp16Only, device(noF16SmallLimits)), 'auto')).toBe(
      'Use a GPU and browser with "shader-f16": Chrome or Edge 121+ on most GPUs made since 2020. ' +
        'Use a GPU whose WebGPU adapter allows larger buffers (most discrete and recent integrated GPUs). ' +
        'Or choose a smaller model.',
    );
  });
});

/** A `navigator.gpu` whose adapter reports the given features and limits. */
function fakeGpu(capabilities: AdapterCapabilities | null): GPU {
  const gpuAdapter = capabilities && {
    features: new Set(capabilities.features),
    limits: capabilities.limits,
    info: { vendor: capabilities.description, architecture: '', description: '' },
  };
  return { requestAdapter: async () => gpuAdapter } as unknown as GPU;
}

describe('chooseExecutionProvider', () => {
  it('picks WebGPU where the requirements are met', async () => {
    const choice = await chooseExecutionProvider('auto', sdTurbo, fakeGpu(adapter()));
    expect(choice).toMatchObject({ provider: 'webgpu', fellBack: false, shaderF16: true });
  });

  it('widens FP16 weights to FP32 on WebGPU without shader-f16, and says so', async () => {
    for (const preference of ['auto', 'webgpu'] as const) {
      const choice = await chooseExecutionProvider(preference, tinyFp16, fakeGpu(swiftShader));
      expect(choice).toMatchObject({
        provider: 'webgpu',
        fellBack: false,
        shaderF16: false,
        precision: 'fp32-widened',
        adapterLimits: { maxStorageBufferBindingSize: GiB, maxBufferSize: GiB },
      });
      expect(choice.reason).toContain('FP32 on this GPU: twice the memory');
    }
    expect(await chooseExecutionProvider('auto', tinyFp16, fakeGpu(adapter()))).toMatchObject({
      provider: 'webgpu',
      precision: 'fp16',
    });
  });

  it('falls back to wasm on auto only for a model that fits in wasm memory, and says why', async () => {
    const choice = await chooseExecutionProvider('auto', tinyFp16Only, fakeGpu(swiftShader));
    expect(choice).toMatchObject({ provider: 'wasm', fellBack: true });
    expect(choice.reason).toContain('lacks the WebGPU feature "shader-f16"');
    await expect(
      chooseExecutionProvider('auto', sdTurboFp16Only, fakeGpu(swiftShader)),
    ).rejects.toMatchObject({
      code: 'no-shader-f16',
    });
    await expect(chooseExecutionProvider('auto', sdTurbo, fakeGpu(null))).rejects.toMatchObject({
      code: 'no-webgpu',
    });
  });

  it('refuses an explicit provider the model cannot use', async () => {
    await expect(chooseExecutionProvider('wasm', sdTurbo, fakeGpu(adapter()))).rejects.toMatchObject({
      code: 'unsupported-device',
    });
    await expect(chooseExecutionProvider('webgpu', tinyFp32, fakeGpu(null))).rejects.toMatchObject({
      code: 'no-webgpu',
    });
    expect(await chooseExecutionProvider('wasm', tinyFp32, fakeGpu(null))).toMatchObject({
      provider: 'wasm',
      fellBack: false,
    });
  });
});
