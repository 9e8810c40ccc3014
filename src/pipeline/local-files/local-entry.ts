/**
 * The manifest entry of a model made of the user's own files: names and element types from the files,
 * sizes and symbolic-dimension values from the check, the device requirements estimated the way
 * docs/models.md "Model requirements" derives them for the listed models. It goes through the manifest parser like any
 * other entry.
 */
import { parseManifest } from '../manifest.js';
import {
  WASM_MAX_HEAP_BYTES,
  type ModelEntry,
  type ModelRequirements,
  type ModelStageName,
  type TensorElementType,
} from '../manifest-types.js';
import type { CheckedFiles, CheckedStage } from './stage-contract.js';

/** Where each stage's file is stored, as a downloaded model's are (the Hub's layout). */
export const LOCAL_STAGE_PATHS: Record<ModelStageName, string> = {
  textEncoder: 'text_encoder/model.onnx',
  unet: 'unet/model.onnx',
  vaeDecoder: 'vae_decoder/model.onnx',
  vaeEncoder: 'vae_encoder/model.onnx',
};

/** SD 2.x's latent scale: the files cannot say it, and SD-Turbo is SD 2.1 distilled. */
const VAE_SCALING_FACTOR = 0.18215;
/** SD-Turbo's first UNet block: 320 channels in self-attention heads of 64. */
const ATTENTION_HEADS = 5;
/** ORT itself and small activations, on top of the weights held twice (docs/models.md "Model requirements"). */
const WASM_BASE_BYTES = 64 * 1024 ** 2;
/** Activations grow with the image: about 256 MiB at 512×512. */
const WASM_BYTES_PER_PIXEL = 1024;

export interface LocalIdentity {
  id: string;
  name: string;
}

/** @param sha256 each stage file's digest, recorded when it was stored */
export function buildLocalEntry(
  checked: CheckedFiles,
  identity: LocalIdentity,
  sha256: Partial<Record<ModelStageName, string>> = {},
): ModelEntry {
  const { sizes } = checked;
  const weights = weightPrecision(checked);
  const stages = Object.fromEntries(
    Object.entries(checked.stages).map(([stage, found]) => [
      stage,
      stageEntry(stage as ModelStageName, found, sha256[stage as ModelStageName]),
    ]),
  );
  const entry = {
    id: identity.id,
    name: identity.name,
    baseUrl: `local:/${identity.id}/`,
    weights,
    tokenizer: { maxLength: sizes.tokens.value, padId: 0 },
    hiddenSize: sizes.hidden.value,
    latent: {
      channels: sizes.latentChannels.value,
      height: sizes.latentHeight.value,
      width: sizes.latentWidth.value,
    },
    image: { height: sizes.imageHeight.value, width: sizes.imageWidth.value },
    vaeScalingFactor: VAE_SCALING_FACTOR,
    requires: estimateRequirements(checked, weights),
    stages,
  };
  const manifest = { version: 1, defaultModel: identity.id, models: [entry] };
  return parseManifest(manifest, `the model entry made from your files`).models[0];
}

function stageEntry(stage: ModelStageName, found: CheckedStage, sha256: string | undefined) {
  const specs = (direction: 'inputs' | 'outputs') =>
    Object.fromEntries(
      Object.entries(found.tensors[direction]).map(([key, tensor]) => [
        key,
        { name: tensor.name, type: tensor.type },
      ]),
    );
  const overrides = found.overrides;
  return {
    file: { path: LOCAL_STAGE_PATHS[stage], bytes: found.file.bytes, ...(sha256 ? { sha256 } : {}) },
    inputs: specs('inputs'),
    outputs: specs('outputs'),
    ...(Object.keys(overrides).length > 0 ? { session: { freeDimensionOverrides: overrides } } : {}),
  };
}

/** FP16 when most weight bytes are float16. */
function weightPrecision(checked: CheckedFiles): ModelEntry['weights'] {
  let float16 = 0;
  let float32 = 0;
  for (const { file } of Object.values(checked.stages)) {
    float16 += file.signature.weights.bytesByType.float16 ?? 0;
    float32 += file.signature.weights.bytesByType.float32 ?? 0;
  }
  return float16 > float32 ? 'fp16' : 'fp32';
}

/**
 * WebGPU: FP16 anywhere needs shader-f16; the largest bound buffer is the largest weight or the first
 * block's self-attention scores (heads × tokens² at the latent size), whichever is larger. wasm: the
 * weights held twice, plus ORT and activations; over 4 GiB it cannot run there.
 */
function estimateRequirements(checked: CheckedFiles, weights: ModelEntry['weights']): ModelRequirements {
  const stages = Object.values(checked.stages);
  const files = stages.map((stage) => stage.file);
  const { latentHeight, latentWidth, imageHeight, imageWidth } = checked.sizes;
  const tokens = latentHeight.value * latentWidth.value;
  const attentionBytes = ATTENTION_HEADS * tokens * tokens * (weights === 'fp16' ? 2 : 4);
  const largest = Math.max(attentionBytes, ...files.map((file) => file.signature.weights.largestTensorBytes));
  const tensorTypes = stages.flatMap((stage) =>
    [...Object.values(stage.tensors.inputs), ...Object.values(stage.tensors.outputs)].map(
      (tensor) => tensor.type as TensorElementType,
    ),
  );
  const heapBytes =
    2 * files.reduce((sum, file) => sum + file.bytes, 0) +
    WASM_BASE_BYTES +
    WASM_BYTES_PER_PIXEL * imageHeight.value * imageWidth.value;
  return {
    webgpu: {
      shaderF16: weights === 'fp16' || tensorTypes.includes('float16'),
      maxStorageBufferBindingSize: largest,
      maxBufferSize: largest,
    },
    wasm: heapBytes <= WASM_MAX_HEAP_BYTES ? { heapBytes } : false,
  };
}
