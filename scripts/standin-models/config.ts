/**
 * The stand-in models' architectures and the sets generated. `SD_TURBO_ARCHITECTURE` is SD-Turbo's own
 * (OpenCLIP ViT-H text tower as SD 2.x uses it, the SD 2.1 UNet, the SD VAE decoder); `NARROW_ARCHITECTURE`
 * is the same topology at full spatial size (77 tokens, 64x64 latents, attention over 4096 positions,
 * 512x512 pixels) with narrow widths and fewer layers, so that headless Chromium's SwiftShader makes an
 * image in under a minute.
 */
import type { Dim, FloatType } from '../onnx-builder/onnx-graph.js';

export interface TextEncoderArchitecture {
  /** CLIP's full vocabulary, so every id the real tokenizer emits is a valid Gather index. */
  vocabSize: number;
  sequenceLength: number;
  width: number;
  heads: number;
  /** SD 2.x takes OpenCLIP's penultimate layer: the exported tower has 23 of ViT-H's 24 layers. */
  layers: number;
  mlpWidth: number;
}

export interface UnetArchitecture {
  latentChannels: number;
  /** Output channels of each down block (and, reversed, of each up block). */
  blockChannels: number[];
  /** Whether each down block has transformer blocks (up blocks: the same, reversed). */
  attentionBlocks: boolean[];
  /** ResNets per down block; each up block has one more. */
  layersPerBlock: number;
  headDim: number;
  groups: number;
  /** Width of encoder_hidden_states: the text encoder's width. */
  contextWidth: number;
}

export interface VaeDecoderArchitecture {
  latentChannels: number;
  imageChannels: number;
  /** Encoder order (128, 256, 512, 512 for SD); the decoder runs them reversed, from 64x64 to 512x512. */
  blockChannels: number[];
  /** Each up block has layersPerBlock + 1 ResNets. */
  layersPerBlock: number;
  groups: number;
}

export interface VaeEncoderArchitecture {
  latentChannels: number;
  imageChannels: number;
  /** Output channels of each down block (128, 256, 512, 512 for SD), from 512x512 down to 64x64. */
  blockChannels: number[];
  /** ResNets per down block (2 for SD). */
  layersPerBlock: number;
  groups: number;
}

export interface StandinArchitecture {
  textEncoder: TextEncoderArchitecture;
  unet: UnetArchitecture;
  vaeDecoder: VaeDecoderArchitecture;
  /** Image to image only: SD's VAE encoder. */
  vaeEncoder: VaeEncoderArchitecture;
  latentSize: number;
  imageSize: number;
}

const CLIP_VOCABULARY = 49408;
const SEQUENCE_LENGTH = 77;

export const SD_TURBO_ARCHITECTURE: StandinArchitecture = {
  textEncoder: {
    vocabSize: CLIP_VOCABULARY,
    sequenceLength: SEQUENCE_LENGTH,
    width: 1024,
    heads: 16,
    layers: 23,
    mlpWidth: 4096,
  },
  unet: {
    latentChannels: 4,
    blockChannels: [320, 640, 1280, 1280],
    attentionBlocks: [true, true, true, false],
    layersPerBlock: 2,
    headDim: 64,
    groups: 32,
    contextWidth: 1024,
  },
  vaeDecoder: {
    latentChannels: 4,
    imageChannels: 3,
    blockChannels: [128, 256, 512, 512],
    layersPerBlock: 2,
    groups: 32,
  },
  vaeEncoder: {
    latentChannels: 4,
    imageChannels: 3,
    blockChannels: [128, 256, 512, 512],
    layersPerBlock: 2,
    groups: 32,
  },
  latentSize: 64,
  imageSize: 512,
};

/**
 * SD-Turbo's topology with every width about 1/sqrt(2) of the real one, so that FP32 weights take the
 * real FP16 files' bytes (within 3%): SwiftShader has no shader-f16, so this is the form whose loading
 * can be measured at real size in headless Chromium. Widths stay multiples of the group counts and the
 * head size (32 instead of 64, as 224 is no multiple of 64).
 */
export const SD_TURBO_SAME_BYTES_FP32_ARCHITECTURE: StandinArchitecture = {
  textEncoder: { ...SD_TURBO_ARCHITECTURE.textEncoder, width: 704, mlpWidth: 2816 },
  unet: {
    ...SD_TURBO_ARCHITECTURE.unet,
    blockChannels: [224, 448, 896, 928],
    headDim: 32,
    contextWidth: 704,
  },
  vaeDecoder: { ...SD_TURBO_ARCHITECTURE.vaeDecoder, blockChannels: [128, 192, 352, 352] },
  vaeEncoder: { ...SD_TURBO_ARCHITECTURE.vaeEncoder, blockChannels: [128, 192, 352, 352] },
  latentSize: 64,
  imageSize: 512,
};

export const NARROW_ARCHITECTURE: StandinArchitecture = {
  textEncoder: {
    vocabSize: CLIP_VOCABULARY,
    sequenceLength: SEQUENCE_LENGTH,
    width: 64,
    heads: 4,
    layers: 2,
    mlpWidth: 256,
  },
  unet: {
    latentChannels: 4,
    blockChannels: [8, 16, 32, 32],
    attentionBlocks: [true, true, true, false],
    // The fewest that keep the real block structure: three transformers (one down, two up) attend over
    // all 4096 positions of the 64x64 latent, about 10 s each on SwiftShader.
    layersPerBlock: 1,
    headDim: 8,
    groups: 4,
    contextWidth: 64,
  },
  vaeDecoder: {
    latentChannels: 4,
    imageChannels: 3,
    // One ResNet per up block (the real has three), and no channel change at 512x512 (which would add a
    // shortcut conv): on SwiftShader each conv at 512x512 costs seconds whatever its width, as ORT's
    // tiled conv and transpose kernels cost about a millisecond per workgroup there.
    blockChannels: [4, 4, 8, 8],
    layersPerBlock: 0,
    groups: 2,
  },
  vaeEncoder: {
    latentChannels: 4,
    imageChannels: 3,
    // As the narrow decoder: one ResNet per down block (the real has two), no channel change at 512x512.
    blockChannels: [4, 4, 8, 8],
    layersPerBlock: 1,
    groups: 2,
  },
  latentSize: 64,
  imageSize: 512,
};

export type StandinSetId =
  | 'standin-narrow-fp32'
  | 'standin-narrow-fp16'
  | 'standin-narrow-webnn-fp32'
  | 'standin-sd-turbo'
  | 'standin-sd-turbo-fp32';

export interface StandinModelSet {
  id: StandinSetId;
  /** For the manifest's model picker. */
  name: string;
  architecture: StandinArchitecture;
  /** Element type of the weights and of the arithmetic; inputs and outputs are always float32 (int ids). */
  weights: FloatType;
  /** Written only on request: 2.5 GB. */
  full: boolean;
  /**
   * 'ort-web' (default): schmuell/sd-turbo-ort-web's IO (symbolic batch and sizes, int64 timestep).
   * 'webnn-fp32': microsoft/sd-turbo-webnn's IO in an FP32 form (fixed dims, float32 timestep [1]).
   */
  io?: 'ort-web' | 'webnn-fp32';
}

/** A graph input's or output's dims: fixed for the WebNN contract, else the ort-web exports' symbolic names. */
export function ioDims(set: StandinModelSet, symbolic: readonly Dim[], fixed: readonly number[]): Dim[] {
  if (symbolic.length !== fixed.length) throw new Error(`dims ${symbolic.join(',')} vs ${fixed.join(',')}`);
  return [...(set.io === 'webnn-fp32' ? fixed : symbolic)];
}

export const STANDIN_MODEL_SETS: readonly StandinModelSet[] = [
  {
    id: 'standin-narrow-fp32',
    name: 'Stand-in, SD-Turbo topology, narrow (FP32, random weights, 512x512)',
    architecture: NARROW_ARCHITECTURE,
    weights: 'float32',
    full: false,
  },
  {
    id: 'standin-narrow-fp16',
    name: 'Stand-in, SD-Turbo topology, narrow (FP16 weights, FP32 IO, random weights, 512x512)',
    architecture: NARROW_ARCHITECTURE,
    weights: 'float16',
    full: false,
  },
  {
    id: 'standin-narrow-webnn-fp32',
    name: "Stand-in, SD-Turbo topology, narrow, with microsoft/sd-turbo-webnn's IO in FP32 (static shapes, float timestep, random weights, 512x512)",
    architecture: NARROW_ARCHITECTURE,
    weights: 'float32',
    full: false,
    io: 'webnn-fp32',
  },
  {
    id: 'standin-sd-turbo',
    name: 'Stand-in, SD-Turbo at full size (FP16 weights, FP32 IO, random weights, 512x512)',
    architecture: SD_TURBO_ARCHITECTURE,
    weights: 'float16',
    full: true,
  },
  {
    id: 'standin-sd-turbo-fp32',
    name: "Stand-in, SD-Turbo's topology at the real files' bytes with FP32 weights (random weights, 512x512)",
    architecture: SD_TURBO_SAME_BYTES_FP32_ARCHITECTURE,
    weights: 'float32',
    full: true,
  },
];

/** One PRNG seed per stage, so changing one stage's layout leaves the other stages' files unchanged. */
export const STANDIN_SEEDS = {
  textEncoder: 0x5d7e,
  unet: 0x5d0e,
  vaeDecoder: 0x5dae,
  vaeEncoder: 0x5dae0,
} as const;

/** Recorded in each file's ModelProto.producer_name. */
export const STANDIN_PRODUCER = 'sd-turbo-web scripts/make-standin-models.ts';
