/**
 * Checks offered files against what the pipeline feeds and reads: which file is which stage, each stage
 * tensor's name, element type (STAGE_TENSOR_TYPES, as the manifest parser checks them) and shape
 * (STAGE_TENSOR_DIMS, as the stage runs allocate them). Every problem names the file, the input or
 * output, what was found and what was expected; all of them are reported at once.
 */
import { LocalFilesError } from '../../errors.js';
import { STAGE_NAMES, type ModelStageName, type StageName } from '../../model/manifest-types.js';
import type { TensorSignature } from '../../model/onnx/onnx-signature.js';
import { deriveSizes, type MatchedStage, type MatchedStages, type ModelSizes } from './model-sizes.js';
import { assignStages, type InspectedFile } from './stage-assignment.js';
import {
  describeShape,
  describeTensor,
  describeTensors,
  joinAnd,
  singular,
  stageRoles,
  type Direction,
  type TensorRole,
} from './stage-text.js';

export interface CheckedStage extends MatchedStage {
  /** Values for the symbolic dimensions of the stage's inputs: ORT's freeDimensionOverrides. */
  overrides: Record<string, number>;
}

export interface CheckedFiles {
  stages: Record<StageName, CheckedStage> & { vaeEncoder?: CheckedStage };
  sizes: ModelSizes;
  notes: string[];
}

export interface CheckOptions {
  /** Image side in pixels, for files whose shapes leave the size open (default SD-Turbo's 512). */
  imageSize?: number;
}

const ALL_STAGES: readonly ModelStageName[] = [...STAGE_NAMES, 'vaeEncoder'];

/** The files as one model, or a LocalFilesError with every problem found. */
export function checkLocalFiles(files: readonly InspectedFile[], options: CheckOptions = {}): CheckedFiles {
  failOn(files.flatMap(externalWeights));
  const assignment = assignStages(files);
  failOn(assignment.problems);
  const notes = [...assignment.notes];
  const matched: MatchedStages = {};
  const problems: string[] = [];
  for (const stage of ALL_STAGES) {
    const file = assignment.stages[stage];
    if (file) matched[stage] = matchTensors(stage, file, problems, notes);
  }
  failOn(problems);
  const derived = deriveSizes(matched, options.imageSize);
  failOn(derived.problems);
  const sizes = derived.sizes!;
  failOn(latentSideProblems(sizes));
  const stages: Partial<Record<ModelStageName, CheckedStage>> = {};
  for (const stage of ALL_STAGES) {
    const found = matched[stage];
    if (found) stages[stage] = { ...found, overrides: checkShapes(stage, found, sizes, problems) };
  }
  problems.push(...hiddenTypeProblems(matched));
  failOn(problems);
  return { stages: stages as CheckedFiles['stages'], sizes, notes: [...notes, ...derived.notes] };
}

function failOn(problems: readonly string[]): void {
  if (problems.length > 0) throw new LocalFilesError(problems);
}

function externalWeights({ name, signature }: InspectedFile): string[] {
  const count = signature.weights.externalTensors;
  if (count === 0) return [];
  return [
    `${name} keeps ${count} of its weights in other files (ONNX external data), which the browser was ` +
      'not given: use an export that has its weights inside the .onnx file.',
  ];
}

/**
 * Each of the stage's inputs and outputs found by SD-Turbo's name, else (with a note) as the one tensor
 * of the right rank left; an input the pipeline would not feed is a problem, as ORT would refuse to run.
 */
function matchTensors(
  stage: ModelStageName,
  file: InspectedFile,
  problems: string[],
  notes: string[],
): MatchedStage {
  const tensors = { inputs: {}, outputs: {} } as MatchedStage['tensors'];
  for (const direction of ['inputs', 'outputs'] as const) {
    const available = file.signature[direction];
    const roles = stageRoles(stage, direction);
    const used = new Set<TensorSignature>();
    const take = (role: TensorRole, tensor: TensorSignature) => {
      tensors[direction][role.key] = tensor;
      used.add(tensor);
    };
    for (const role of roles) {
      const named = available.find((tensor) => tensor.name === role.name);
      if (named) take(role, named);
    }
    for (const role of roles.filter((each) => !tensors[direction][each.key])) {
      const sameRank = available.filter(
        (tensor) => !used.has(tensor) && tensor.shape?.length === role.dims.length,
      );
      if (sameRank.length === 1) {
        take(role, sameRank[0]);
        notes.push(`${file.name}: ${singular(direction)} "${sameRank[0].name}" is used as "${role.name}".`);
      } else {
        problems.push(
          `${file.name} has no ${singular(direction)} "${role.name}"; it has: ${describeTensors(available)}.`,
        );
      }
    }
    if (direction === 'inputs') {
      const unfed = available.filter((tensor) => !used.has(tensor));
      if (unfed.length > 0 && used.size === roles.length) {
        const fed = joinAnd(roles.map((role) => `"${role.name}"`));
        problems.push(
          `${file.name}: input ${joinAnd(unfed.map(describeTensor))} would get no value: the pipeline feeds ` +
            `this stage ${fed} only.`,
        );
      }
    }
  }
  return { file, tensors };
}

/** An image side must be 8 latent pixels per latent one. */
function latentSideProblems(sizes: ModelSizes): string[] {
  return (['latentHeight', 'latentWidth'] as const)
    .filter((side) => !Number.isInteger(sizes[side].value))
    .map(
      (side) =>
        `${sizes[side].origin} is not a whole number (${sizes[side].value}): image sides must be multiples of 8.`,
    );
}

/** Checks each tensor's type and dimensions; returns the values its inputs' symbolic dimensions take. */
function checkShapes(
  stage: ModelStageName,
  matched: MatchedStage,
  sizes: ModelSizes,
  problems: string[],
): Record<string, number> {
  const overrides: Record<string, number> = {};
  for (const direction of ['inputs', 'outputs'] as const) {
    for (const role of stageRoles(stage, direction)) {
      const tensor = matched.tensors[direction][role.key];
      const problem = tensorProblem(matched.file.name, direction, role, tensor, sizes, overrides);
      if (problem) problems.push(problem);
    }
  }
  return overrides;
}

/** 'unet.onnx: input "timestep" is int64 [1,1] — expected float32, float16, int32 or int64 [1]: ...' */
function tensorProblem(
  fileName: string,
  direction: Direction,
  role: TensorRole,
  tensor: TensorSignature,
  sizes: ModelSizes,
  overrides: Record<string, number>,
): string | undefined {
  const expected = role.dims.map((dimension) => sizes[dimension].value);
  const reasons: string[] = [];
  if (!role.types.includes(tensor.type)) {
    reasons.push(`the pipeline cannot ${direction === 'inputs' ? 'feed' : 'read'} ${tensor.type}`);
  }
  const shape = tensor.shape;
  if (shape && shape.length !== expected.length) {
    reasons.push(`it has ${shape.length} dimensions, not ${expected.length}`);
  } else if (shape) {
    shape.forEach((size, index) => {
      const want = sizes[role.dims[index]];
      if (typeof size === 'number') {
        if (size !== want.value) reasons.push(`dimension ${index + 1} must be ${want.value}, ${want.origin}`);
      } else if (direction === 'inputs' && size !== '?') {
        if (overrides[size] !== undefined && overrides[size] !== want.value) {
          reasons.push(
            `its symbolic dimension "${size}" would have to be ${overrides[size]} and ${want.value} at once`,
          );
        }
        overrides[size] ??= want.value;
      }
    });
  }
  if (reasons.length === 0) return undefined;
  const types = joinAnd(role.types, 'or');
  return (
    `${fileName}: ${singular(direction)} "${tensor.name}" is ${tensor.type} ${describeShape(shape)} — ` +
    `expected ${types} [${expected.join(',')}]: ${reasons.join('; ')}.`
  );
}

/** The UNet receives the text encoder's output tensor as it is (it stays on the GPU): one type for both. */
function hiddenTypeProblems(stages: MatchedStages): string[] {
  const textEncoder = stages.textEncoder;
  const unet = stages.unet;
  const hidden = textEncoder?.tensors.outputs.hiddenStates;
  const context = unet?.tensors.inputs.encoderHiddenStates;
  if (!hidden || !context || hidden.type === context.type) return [];
  return [
    `${unet.file.name}: input "${context.name}" is ${context.type}, but ${textEncoder.file.name}'s output ` +
      `"${hidden.name}" is ${hidden.type}: the UNet takes the text encoder's tensor as it is, so both must have one type.`,
  ];
}
