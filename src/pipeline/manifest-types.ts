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

export interface VaeDecoderStage {
  file: ModelFile;
  inputs: { latentSample: TensorSpec };
  outputs: { sample: TensorSpec };
  session?: StageSessionOptions;
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
  image: { height: number; width: number };
  /** Latents are divided by this before the VAE decoder (0.18215 for SD 2.x). */
  vaeScalingFactor: number;
  stages: { textEncoder: TextEncoderStage; unet: UnetStage; vaeDecoder: VaeDecoderStage };
  license?: string;
}

export interface Manifest {
  version: 1;
  defaultModel: string;
  models: ModelEntry[];
}

export type StageName = keyof ModelEntry['stages'];
export const STAGE_NAMES: readonly StageName[] = ['textEncoder', 'unet', 'vaeDecoder'];
