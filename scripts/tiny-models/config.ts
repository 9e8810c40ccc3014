/** The tiny stand-in models' sizes and the two sets generated (their ids match model-manifest.json). */
import type { FloatType } from '../onnx-builder/onnx-graph.js';

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
  id: 'tiny-fp32' | 'tiny-fp16' | 'tiny-mixed';
  /** Element type of the weights, the arithmetic and every float input/output. */
  floatType: FloatType;
  /**
   * The VAE decoder's, where it differs: microsoft/sd-turbo-webnn has an FP16-IO text encoder and UNet
   * but an FP32-IO VAE decoder, so the pipeline converts between stages.
   */
  vaeFloatType?: FloatType;
  /** schmuell/sd-turbo-ort-web takes an int64 timestep, microsoft/sd-turbo-webnn a float16 one. */
  timestepType: 'int64' | 'float16';
}

export const TINY_MODEL_SETS: readonly TinyModelSet[] = [
  { id: 'tiny-fp32', floatType: 'float32', timestepType: 'int64' },
  { id: 'tiny-fp16', floatType: 'float16', timestepType: 'float16' },
  { id: 'tiny-mixed', floatType: 'float16', timestepType: 'float16', vaeFloatType: 'float32' },
];

/** One PRNG seed per stage, so changing one stage's layout leaves the other stages' files unchanged. */
export const SEEDS = { textEncoder: 0x7e47, unet: 0x0e7, vaeDecoder: 0x7ae, vaeEncoder: 0x7ae0 } as const;
