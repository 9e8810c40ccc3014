/**
 * The shape of model-manifest.json. Every fact about a model that the pipeline or the downloader
 * needs lives here, so that FP32-IO and FP16-IO exports, tiny test models and self-hosted mirrors run
 * through the same code unchanged.
 */

export type TensorElementType = 'float32' | 'float16' | 'int32' | 'int64';

/** One ONNX input or output: its name in the graph and its element type. */
export interface TensorSpec {
  name: string;
  type: TensorElementType;
}

/** A file to download. `bytes` is exact when known; `approxBytes` only sizes the UI and the quota check. */
export interface ModelFile {
  /** Relative to the model's `baseUrl` (or to the mirror given at run time). */
  path: string;
  bytes?: number;
  approxBytes?: number;
  /** Lower-case hex SHA-256 of the whole file; when present the file is verified before use. */
  sha256?: string;
}

/** Options forwarded to ORT's InferenceSession for one stage. */
export interface StageSessionOptions {
  freeDimensionOverrides?: Record<string, number>;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface TextEncoderStage {
  file: ModelFile;
  inputs: { inputIds: TensorSpec };
  outputs: { hiddenStates: TensorSpec };
  session?: StageSessionOptions;
}

export interface UnetStage {
  file: ModelFile;
  inputs: { sample: TensorSpec; timestep: TensorSpec; encoderHiddenStates: TensorSpec };
  outputs: { noisePred: TensorSpec };
  session?: StageSessionOptions;
}

/**
 * Optional: image to image needs it. Image [1, 3, H, W] in [-1, 1] -> latent [1, 4, H/8, W/8] (the
 * distribution's mean, unscaled: the pipeline multiplies by `vaeScalingFactor`).
 */
export interface VaeEncoderStage {
  file: ModelFile;
  inputs: { sample: TensorSpec };
  outputs: { latentSample: TensorSpec };
  session?: StageSessionOptions;
}

export interface VaeDecoderStage {
  file: ModelFile;
  inputs: { latentSample: TensorSpec };
  outputs: { sample: TensorSpec };
  session?: StageSessionOptions;
}

/**
 * What the WebGPU provider needs from the adapter. Every adapter offers at least WebGPU's default limits
 * (128 MiB storage binding, 256 MiB buffer); ORT asks for the adapter's maximum, so a model whose largest
 * tensor is above the adapter's maximum fails mid-run: it is refused before the download instead.
 */
export interface WebGpuRequirements {
  /** FP16 arithmetic in WGSL: needed by FP16 weights (without it ORT throws or computes zeros). */
  shaderF16: boolean;
  /** Bytes of the largest tensor a shader binds (weights or activations). */
  maxStorageBufferBindingSize: number;
  /** Bytes of the largest GPU buffer the model allocates. */
  maxBufferSize: number;
  /**
   * FP16 models only: what the FP32 form needs, where the adapter lacks `shader-f16` and the FP16 weights
   * are widened to FP32 as they load (the same download). Absent: such adapters cannot run the model.
   */
  fp32Widened?: WidenedRequirements;
}

/** The FP32 form of an FP16 model: every tensor and the weights twice their FP16 bytes. */
export interface WidenedRequirements {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  /** Bytes of the widened weights of all stages together, resident at once. */
  weightBytes: number;
}

/** How the weights run: as stored, or FP16 widened to FP32 at load (WebGPU without `shader-f16`). */
export type WeightPrecision = 'fp16' | 'fp32' | 'fp32-widened';

/** wasm32 linear memory is at most 65536 pages of 64 KiB. */
export const WASM_MAX_HEAP_BYTES = 4 * 1024 ** 3;

/** What the wasm (CPU) provider needs: every weight and activation lives in one wasm32 heap (at most 4 GiB). */
export interface WasmRequirements {
  /** Peak wasm heap bytes while loading and running. */
  heapBytes: number;
  /**
   * What each further image of a batch adds to the peak (its activations), measured. Absent: the model
   * makes its images one after another on wasm.
   */
  heapBytesPerImage?: number;
}

/**
 * Per provider, what the device must offer to run the model; `false` where the provider cannot run it
 * on any device. Checked against the real adapter before anything is downloaded.
 */
export interface ModelRequirements {
  webgpu: WebGpuRequirements | false;
  wasm: WasmRequirements | false;
}

/** Each side of an image a model can make: a multiple of `step` from `min` to `max` pixels. */
export interface ImageSizeRange {
  min: number;
  max: number;
  step: number;
}

export interface ModelEntry {
  id: string;
  /** Human-readable name for pickers. */
  name: string;
  /** Absolute URL, or relative to the manifest's own URL; ends with '/'. */
  baseUrl: string;
  /** Precision of the weights: 'fp16' needs the WebGPU adapter feature 'shader-f16'. */
  weights: 'fp32' | 'fp16';
  tokenizer: { maxLength: number; padId: number };
  /** Text embedding width (1024 for SD-Turbo's OpenCLIP ViT-H). */
  hiddenSize: number;
  latent: { channels: number; height: number; width: number };
  /** The default image size; the only one where `sizes` is absent. */
  image: { height: number; width: number };
  /**
   * Other image sizes, for graphs whose spatial dimensions are symbolic (`height`/`width` in the UNet's and
   * VAE's freeDimensionOverrides): `sizedModelEntry` fixes them to one size. Absent: `image` only.
   */
  sizes?: ImageSizeRange;
  /** Latents are divided by this before the VAE decoder (0.18215 for SD 2.x). */
  vaeScalingFactor: number;
  /** What a device needs to run the model: docs/models.md "Model requirements" derives each entry's values. */
  requires: ModelRequirements;
  stages: {
    textEncoder: TextEncoderStage;
    unet: UnetStage;
    vaeDecoder: VaeDecoderStage;
    /** Present only in models that can do image to image. */
    vaeEncoder?: VaeEncoderStage;
  };
  license?: string;
}

export interface Manifest {
  version: 1;
  defaultModel: string;
  models: ModelEntry[];
}

/** Any stage a model may have, the optional VAE encoder included. */
export type ModelStageName = keyof ModelEntry['stages'];
/** The stages every model has (text to image). */
export type StageName = Exclude<ModelStageName, 'vaeEncoder'>;
export const STAGE_NAMES: readonly StageName[] = ['textEncoder', 'unet', 'vaeDecoder'];

/** Every stage this model has, in load order: the required three, then the optional VAE encoder. */
export function modelStageNames(model: ModelEntry): ModelStageName[] {
  return model.stages.vaeEncoder ? [...STAGE_NAMES, 'vaeEncoder'] : [...STAGE_NAMES];
}

/** Per stage, a value for each of its inputs and outputs, keyed as in the manifest. */
export type StageTensorTable<T> = {
  [Stage in ModelStageName]: {
    inputs: Record<keyof StageSpecs[Stage]['inputs'], T>;
    outputs: Record<keyof StageSpecs[Stage]['outputs'], T>;
  };
};
type StageSpecs = Required<ModelEntry['stages']>;

/** The model's sizes that a stage tensor's dimensions are made of. */
export type ModelDimension =
  | 'batch'
  | 'tokens'
  | 'hidden'
  | 'latentChannels'
  | 'latentHeight'
  | 'latentWidth'
  | 'imageChannels'
  | 'imageHeight'
  | 'imageWidth';

const LATENT: readonly ModelDimension[] = ['batch', 'latentChannels', 'latentHeight', 'latentWidth'];
const IMAGE: readonly ModelDimension[] = ['batch', 'imageChannels', 'imageHeight', 'imageWidth'];

/**
 * The shape of every stage tensor the pipeline feeds or reads, as the model's sizes: one image at a time,
 * prompt ids [1, tokens], text states [1, tokens, hidden], latents [1, 4, h, w], a timestep [1], and RGB
 * images [1, 3, H, W]. The stage runs allocate their tensors from it.
 */
export const STAGE_TENSOR_DIMS = {
  textEncoder: {
    inputs: { inputIds: ['batch', 'tokens'] },
    outputs: { hiddenStates: ['batch', 'tokens', 'hidden'] },
  },
  unet: {
    inputs: { sample: LATENT, timestep: ['batch'], encoderHiddenStates: ['batch', 'tokens', 'hidden'] },
    outputs: { noisePred: LATENT },
  },
  vaeDecoder: { inputs: { latentSample: LATENT }, outputs: { sample: IMAGE } },
  vaeEncoder: { inputs: { sample: IMAGE }, outputs: { latentSample: LATENT } },
} as const satisfies StageTensorTable<readonly ModelDimension[]>;

/** The value of one of the model's sizes. */
export function modelDimension(model: ModelEntry, dimension: ModelDimension): number {
  const sizes: Record<ModelDimension, number> = {
    batch: 1,
    tokens: model.tokenizer.maxLength,
    hidden: model.hiddenSize,
    latentChannels: model.latent.channels,
    latentHeight: model.latent.height,
    latentWidth: model.latent.width,
    imageChannels: 3,
    imageHeight: model.image.height,
    imageWidth: model.image.width,
  };
  return sizes[dimension];
}

/** The dims of a stage tensor of this model, e.g. `stageTensorShape(model, STAGE_TENSOR_DIMS.unet.inputs.sample)`. */
export function stageTensorShape(model: ModelEntry, dimensions: readonly ModelDimension[]): number[] {
  return dimensions.map((dimension) => modelDimension(model, dimension));
}

/** The file of one of the model's stages; throws for an optional stage the model lacks. */
export function stageFile(model: ModelEntry, stage: ModelStageName): ModelFile {
  const spec = model.stages[stage];
  if (!spec) throw new RangeError(`model ${model.id} has no ${stage} stage`);
  return spec.file;
}
