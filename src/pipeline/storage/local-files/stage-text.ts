/**
 * How the local-files check names stages and tensors in its messages, and what each stage must take and
 * give, written from the same tables the pipeline and the manifest parser use.
 */
import { STAGE_TENSOR_TYPES } from '../../model/manifest.js';
import {
  STAGE_TENSOR_DIMS,
  type ModelDimension,
  type ModelStageName,
  type StageTensorTable,
} from '../../model/manifest-types.js';
import type { TensorSignature } from '../../model/onnx/onnx-signature.js';

export type Direction = 'inputs' | 'outputs';

/** SD-Turbo's name for each stage tensor (schmuell/sd-turbo-ort-web, diffusers' ONNX export). */
export const SD_TURBO_TENSOR_NAMES: StageTensorTable<string> = {
  textEncoder: { inputs: { inputIds: 'input_ids' }, outputs: { hiddenStates: 'last_hidden_state' } },
  unet: {
    inputs: { sample: 'sample', timestep: 'timestep', encoderHiddenStates: 'encoder_hidden_states' },
    outputs: { noisePred: 'out_sample' },
  },
  vaeDecoder: { inputs: { latentSample: 'latent_sample' }, outputs: { sample: 'sample' } },
  vaeEncoder: { inputs: { sample: 'sample' }, outputs: { latentSample: 'latent_sample' } },
};

export const STAGE_LABELS: Record<ModelStageName, string> = {
  textEncoder: 'text encoder',
  unet: 'UNet',
  vaeDecoder: 'VAE decoder',
  vaeEncoder: 'VAE encoder',
};

/** How a dimension reads in a contract: its SD-Turbo value, or a letter where models differ. */
const DIMENSION_SYMBOLS: Record<ModelDimension, string> = {
  batch: '1',
  tokens: '77',
  hidden: 'D',
  latentChannels: '4',
  latentHeight: 'h',
  latentWidth: 'w',
  imageChannels: '3',
  imageHeight: '8h',
  imageWidth: '8w',
};

/** One stage tensor's role: its key in the manifest, SD-Turbo's name, allowed types and dimensions. */
export interface TensorRole {
  key: string;
  name: string;
  types: readonly string[];
  dims: readonly ModelDimension[];
}

/** The inputs or outputs a stage has in the pipeline, in manifest order. */
export function stageRoles(stage: ModelStageName, direction: Direction): TensorRole[] {
  const dims: Record<string, readonly ModelDimension[]> = STAGE_TENSOR_DIMS[stage][direction];
  const types: Record<string, readonly string[]> = STAGE_TENSOR_TYPES[stage][direction];
  const names: Record<string, string> = SD_TURBO_TENSOR_NAMES[stage][direction];
  return Object.keys(dims).map((key) => ({ key, name: names[key], types: types[key], dims: dims[key] }));
}

/** 'takes input_ids int32|int64 [1,77] and gives last_hidden_state float32|float16 [1,77,D]' */
export function stageContract(stage: ModelStageName): string {
  const list = (direction: Direction) =>
    joinAnd(
      stageRoles(stage, direction).map(
        (role) => `${role.name} ${role.types.join('|')} [${role.dims.map((dim) => DIMENSION_SYMBOLS[dim])}]`,
      ),
    );
  return `takes ${list('inputs')} and gives ${list('outputs')}`;
}

/** '[batch_size,77,32]'; a file that gives no shape says so. */
export function describeShape(shape: TensorSignature['shape']): string {
  return shape ? `[${shape.join(',')}]` : '(no shape given)';
}

/** '"timestep" int64 [1]' */
export function describeTensor(tensor: TensorSignature): string {
  return `"${tensor.name}" ${tensor.type} ${describeShape(tensor.shape)}`;
}

/** Every tensor of a list, or 'none'. */
export function describeTensors(tensors: readonly TensorSignature[]): string {
  return tensors.length === 0 ? 'none' : tensors.map(describeTensor).join(', ');
}

/** 'a', 'a and b', 'a, b and c' (or 'a, b or c'). */
export function joinAnd(items: readonly string[], conjunction: 'and' | 'or' = 'and'): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1)}`;
}

export function singular(direction: Direction): 'input' | 'output' {
  return direction === 'inputs' ? 'input' : 'output';
}
