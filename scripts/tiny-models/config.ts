/** The tiny stand-in models' sizes and the two sets generated (their ids match model-manifest.json). */
import type { Dim, FloatType } from '../onnx-builder/onnx-graph.js';

export const TINY_DIMS = {
  /** CLIP's full vocabulary, so every id the real tokenizer emits is a valid Gather index. */
  vocabSize: 49408,
  sequenceLength: 77,
  hiddenSize: 32,
  latentChannels: 4,
  latentSize: 8,
  /** The VAE upsamples x2 three times, like the real one (64 -> 512). */
  imageSize: 64,
  imageChannels: 3,
  unetChannels: 24,
  unetGroups: 8,
  /** Sinusoidal timestep embedding: this many frequencies, each giving a sin and a cos. */
  timestepFrequencies: 16,
  vaeChannels: 16,
  vaeGroups: 4,
} as const;

export interface TinyModelSet {
  id: 'tiny-fp32' | 'tiny-fp16' | 'tiny-mixed' | 'tiny-webnn-fp32';
  /** Element type of the weights, the arithmetic and every float input/output. */
  floatType: FloatType;
  /**
   * The VAE decoder's, where it differs: microsoft/sd-turbo-webnn has an FP16-IO text encoder and UNet
   * but an FP32-IO VAE decoder, so the pipeline converts between stages.
   */
  vaeFloatType?: FloatType;
  /**
   * schmuell/sd-turbo-ort-web takes an int64 timestep, microsoft/sd-turbo-webnn a float16 one (float32 in
   * its FP32 form).
   */
  timestepType: 'int64' | 'float16' | 'float32';
  /**
   * Every input and output dimension fixed (batch 1, 77 tokens, 8x8 latents), as in microsoft/sd-turbo-webnn,
   * whose graphs need no freeDimensionOverrides; otherwise the ort-web exports' symbolic dims.
   */
  staticShapes?: boolean;
}

export const TINY_MODEL_SETS: readonly TinyModelSet[] = [
  { id: 'tiny-fp32', floatType: 'float32', timestepType: 'int64' },
  { id: 'tiny-fp16', floatType: 'float16', timestepType: 'float16' },
  { id: 'tiny-mixed', floatType: 'float16', timestepType: 'float16', vaeFloatType: 'float32' },
  /**
   * microsoft/sd-turbo-webnn's IO contract in an FP32 form that SwiftShader's WebGPU can run (no shader-f16):
   * static shapes, int32 input_ids, a float timestep [1]. FP16 IO cannot be kept there even with FP32
   * compute: ORT places the edge Casts on its WebGPU EP, which refuses them without shader-f16
   * (tests/mixed-io.browser.scale.test.ts). Same seeds, so the same weights as tiny-fp32.
   */
  { id: 'tiny-webnn-fp32', floatType: 'float32', timestepType: 'float32', staticShapes: true },
];

/** A graph input's or output's dims: the fixed sizes for a static-shape set, else the symbolic names. */
export function ioDims(set: TinyModelSet, symbolic: readonly Dim[], fixed: readonly number[]): Dim[] {
  if (symbolic.length !== fixed.length) throw new Error(`dims ${symbolic.join(',')} vs ${fixed.join(',')}`);
  return [...(set.staticShapes ? fixed : symbolic)];
}

/** One PRNG seed per stage, so changing one stage's layout leaves the other stages' files unchanged. */
export const SEEDS = { textEncoder: 0x7e47, unet: 0x0e7, vaeDecoder: 0x7ae, vaeEncoder: 0x7ae0 } as const;
