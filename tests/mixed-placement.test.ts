/**
 * The text encoder on wasm beside WebGPU (PipelineOptions.textEncoderProvider): which settings its session
 * gets, which specs stay FP16, where each stage is said to run, and where the placement is refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getModel, parseManifest } from '../src/pipeline/model/manifest';
import { widenedModelEntry } from '../src/pipeline/model/widened-model-entry';
import { stageSettings, type SessionSettings } from '../src/pipeline/engine/sessions/stage-sessions';
import { stagePlacement, textEncoderPlacementRefusal } from '../src/pipeline/engine/text-to-image-pipeline';
import type { OrtRuntime } from '../src/pipeline/runtime/ort-runtime';
import type { ProviderChoice } from '../src/pipeline/types';

const manifest = parseManifest(
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'model-manifest.json'), 'utf8')),
);
const tinyFp16 = getModel(manifest, 'tiny-fp16');

const widenedSettings: SessionSettings = {
  runtime: {} as OrtRuntime,
  provider: 'webgpu',
  gpuOutputs: true,
  enableGraphCapture: true,
  widenFp16: { maxTensorBytes: 1024, streamStage: () => (async function* () {})() },
};

const widenedWebGpu: ProviderChoice = {
  provider: 'webgpu',
  reason: '',
  fellBack: false,
  shaderF16: false,
  softwareAdapter: true,
  precision: 'fp32-widened',
};

describe('stage settings', () => {
  it('put a text encoder placed on wasm on wasm, as stored, with CPU outputs and no capture', () => {
    const mixed = { ...widenedSettings, textEncoderProvider: 'wasm' as const };
    const textEncoder = stageSettings(mixed, 'textEncoder');
    expect(textEncoder.provider).toBe('wasm');
    expect(textEncoder.widenFp16).toBeUndefined();
    expect(textEncoder.gpuOutputs).toBe(false);
    expect(textEncoder.enableGraphCapture).toBe(false);
    for (const stage of ['unet', 'vaeDecoder', 'vaeEncoder'] as const) {
      expect(stageSettings(mixed, stage)).toBe(mixed);
    }
  });

  it('leave every stage on the pipeline provider without the placement', () => {
    expect(stageSettings(widenedSettings, 'textEncoder')).toBe(widenedSettings);
  });
});

describe('the widened model entry with the text encoder as stored', () => {
  it('keeps the FP16 hidden states out of the text encoder while the UNet takes FP32', () => {
    const mixed = widenedModelEntry(tinyFp16, ['textEncoder']);
    expect(tinyFp16.stages.textEncoder.outputs.hiddenStates.type).toBe('float16');
    expect(mixed.stages.textEncoder).toBe(tinyFp16.stages.textEncoder);
    expect(mixed.stages.unet.inputs.encoderHiddenStates.type).toBe('float32');
    expect(mixed.stages.vaeDecoder.outputs.sample.type).toBe('float32');
    expect(widenedModelEntry(tinyFp16).stages.textEncoder.outputs.hiddenStates.type).toBe('float32');
  });
});

describe('stage placement', () => {
  it('says the text encoder runs on wasm in its stored precision, the rest widened on WebGPU', () => {
    expect(stagePlacement(widenedWebGpu, 'fp16', 'wasm')).toEqual({
      textEncoder: { provider: 'wasm', precision: 'fp16' },
      unet: { provider: 'webgpu', precision: 'fp32-widened' },
      vaeDecoder: { provider: 'webgpu', precision: 'fp32-widened' },
    });
    const same = stagePlacement(widenedWebGpu, 'fp16', 'same');
    expect(same.textEncoder).toEqual({ provider: 'webgpu', precision: 'fp32-widened' });
  });

  it('is one provider where the pipeline runs on wasm anyway', () => {
    const wasm: ProviderChoice = { ...widenedWebGpu, provider: 'wasm', precision: undefined };
    const placement = stagePlacement(wasm, 'fp16', 'wasm');
    expect(new Set(Object.values(placement).map((stage) => stage.provider))).toEqual(new Set(['wasm']));
  });

  it('is refused on WebNN and onnxruntime-node, and for an unknown placement, with the reason', () => {
    expect(textEncoderPlacementRefusal('wasm', 'webgpu')).toBeUndefined();
    expect(textEncoderPlacementRefusal('wasm', 'wasm')).toBeUndefined();
    expect(textEncoderPlacementRefusal('same', 'webnn')).toBeUndefined();
    expect(textEncoderPlacementRefusal('wasm', 'webnn')).toMatch(
      /beside WebGPU only: on webnn ORT's WebNN EP/,
    );
    expect(textEncoderPlacementRefusal('wasm', 'cpu')).toContain('onnxruntime-node has no wasm EP');
    expect(textEncoderPlacementRefusal('gpu' as never, 'webgpu')).toBe(
      'The text encoder provider must be "same" or "wasm", got "gpu".',
    );
  });
});
