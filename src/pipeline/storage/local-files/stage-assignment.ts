/**
 * Which offered file is which stage, decided from each file's inputs and outputs: a file name can be wrong
 * (a VAE decoder saved as unet.onnx), a graph cannot. Names only settle what the graph leaves open, and
 * they make the messages say what the user probably meant.
 */
import { STAGE_NAMES, type ModelStageName } from '../../model/manifest-types.js';
import type { OnnxSignature, TensorSignature } from '../../model/onnx/onnx-signature.js';
import { describeTensors, joinAnd, STAGE_LABELS, stageContract } from './stage-text.js';

/** A file as it was offered: its name (its path in a chosen folder) and what its graph says. */
export interface InspectedFile {
  name: string;
  bytes: number;
  signature: OnnxSignature;
}

export interface StageAssignment {
  stages: Partial<Record<ModelStageName, InspectedFile>>;
  /** What was decided that the user may not expect (a file used against its name, a file left out). */
  notes: string[];
  /** Why no model can be made of these files; empty when one can. */
  problems: string[];
}

/** What a file's graph says it is: a stage, two a VAE could be, or nothing SD-Turbo uses. */
interface Verdict {
  stage?: ModelStageName;
  candidates?: ModelStageName[];
  why: string;
}

interface Candidate {
  file: InspectedFile;
  verdict: Verdict;
  /** The stage the file's name suggests, if any. */
  named?: ModelStageName;
}

const rank = (tensor: TensorSignature) => tensor.shape?.length;
const isInteger = (tensor: TensorSignature) => tensor.type === 'int32' || tensor.type === 'int64';

export function assignStages(files: readonly InspectedFile[]): StageAssignment {
  const candidates = files.map((file) => ({
    file,
    verdict: classify(file.signature),
    named: stageNamedIn(file.name),
  }));
  const byStage = new Map<ModelStageName, Candidate[]>();
  const assign = (stage: ModelStageName, candidate: Candidate) =>
    byStage.set(stage, [...(byStage.get(stage) ?? []), candidate]);
  const notes: string[] = [];
  for (const candidate of candidates) if (candidate.verdict.stage) assign(candidate.verdict.stage, candidate);
  for (const candidate of candidates.filter((each) => each.verdict.candidates)) {
    const stage = settleVae(candidate, byStage);
    if (stage) assign(stage, candidate);
  }
  const unused = candidates.filter((candidate) => ![...byStage.values()].flat().includes(candidate));
  const problems = [
    ...missingStages(byStage, candidates, unused),
    ...[...byStage].filter(([, found]) => found.length > 1).map(([stage, found]) => duplicates(stage, found)),
  ];
  if (problems.length === 0) {
    notes.push(...unused.map(({ file, verdict }) => `${file.name} was left out: ${verdict.why}.`));
    notes.push(...usedAgainstName(byStage));
  }
  const stages = Object.fromEntries([...byStage].map(([stage, found]) => [stage, found[0].file]));
  return { stages, notes, problems };
}

/** The stage a file name suggests: folders and files as the Hub exports name them. */
export function stageNamedIn(fileName: string): ModelStageName | undefined {
  const name = fileName.toLowerCase();
  if (/text[_-]?encoder/.test(name)) return 'textEncoder';
  if (name.includes('unet')) return 'unet';
  if (name.includes('decoder')) return 'vaeDecoder';
  if (name.includes('encoder')) return 'vaeEncoder';
  return undefined;
}

function classify({ inputs, outputs }: OnnxSignature): Verdict {
  if (inputs.some((input) => input.name === 'input_ids'))
    return { stage: 'textEncoder', why: 'it takes "input_ids"' };
  if (inputs.length >= 2)
    return { stage: 'unet', why: `it takes ${inputs.length} inputs, as only a UNet does` };
  if (inputs.length === 1 && isInteger(inputs[0]) && rank(inputs[0]) !== 4) {
    return { stage: 'textEncoder', why: 'it takes token ids (integers)' };
  }
  const output = outputs.find((each) => rank(each) === 4);
  if (inputs.length === 1 && rank(inputs[0]) === 4 && output) return classifyVae(inputs[0], output);
  return { why: `no SD-Turbo stage takes ${describeTensors(inputs)} and gives ${describeTensors(outputs)}` };
}

/** A decoder goes from 4 latent channels up to 3 image channels at 8× the size; an encoder the other way. */
function classifyVae(input: TensorSignature, output: TensorSignature): Verdict {
  if (input.name === 'latent_sample') return { stage: 'vaeDecoder', why: 'it takes "latent_sample"' };
  if (output.name === 'latent_sample') return { stage: 'vaeEncoder', why: 'it gives "latent_sample"' };
  const [inChannels, outChannels] = [input.shape?.[1], output.shape?.[1]];
  if (inChannels === 4 || outChannels === 3) {
    return { stage: 'vaeDecoder', why: `it turns ${inChannels} channels into ${outChannels}` };
  }
  if (inChannels === 3 || outChannels === 4) {
    return { stage: 'vaeEncoder', why: `it turns ${inChannels} channels into ${outChannels}` };
  }
  const [inHeight, outHeight] = [input.shape?.[2], output.shape?.[2]];
  if (typeof inHeight === 'number' && typeof outHeight === 'number' && inHeight !== outHeight) {
    return inHeight < outHeight
      ? { stage: 'vaeDecoder', why: 'it makes its input larger' }
      : { stage: 'vaeEncoder', why: 'it makes its input smaller' };
  }
  return {
    candidates: ['vaeDecoder', 'vaeEncoder'],
    why: `its input ${describeTensors([input])} and output ${describeTensors([output])} could be either VAE's`,
  };
}

/** A file that could be either VAE: its name decides, else it fills the decoder (which every model needs). */
function settleVae(
  candidate: Candidate,
  byStage: Map<ModelStageName, Candidate[]>,
): ModelStageName | undefined {
  const { named, verdict } = candidate;
  if (named && verdict.candidates?.includes(named)) {
    verdict.why += `; its name says ${STAGE_LABELS[named]}`;
    return named;
  }
  const open = verdict.candidates?.find((stage) => !byStage.has(stage));
  if (open) verdict.why += `; it is taken as the ${STAGE_LABELS[open]}, which no other file is`;
  return open;
}

/** A required stage no file is: what it must take and give, and which offered files come closest. */
function missingStages(
  byStage: Map<ModelStageName, Candidate[]>,
  candidates: readonly Candidate[],
  unused: readonly Candidate[],
): string[] {
  return STAGE_NAMES.filter((stage) => !byStage.has(stage)).map((stage) => {
    const label = STAGE_LABELS[stage];
    const misnamed = candidates
      .filter((candidate) => candidate.named === stage)
      .map(({ file, verdict }) => {
        const actual = verdict.stage ? `a ${STAGE_LABELS[verdict.stage]}'s` : 'no stage of SD-Turbo';
        return (
          ` ${file.name} is named like the ${label}, but its inputs and outputs are ${actual}: it takes ` +
          `${describeTensors(file.signature.inputs)} and gives ${describeTensors(file.signature.outputs)}.`
        );
      });
    const strangers = unused
      .filter((candidate) => candidate.named !== stage)
      .map(({ file, verdict }) => ` ${file.name} is no stage of SD-Turbo: ${verdict.why}.`);
    return `No file is the ${label}, which ${stageContract(stage)}.${misnamed.join('')}${strangers.join('')}`;
  });
}

function duplicates(stage: ModelStageName, found: readonly Candidate[]): string {
  const names = found.map(({ file }) => file.name);
  const quantity = found.length === 2 ? 'both' : 'all';
  return `${joinAnd(names)} ${quantity} look like the ${STAGE_LABELS[stage]} (${found[0].verdict.why}): offer one of them.`;
}

function usedAgainstName(byStage: Map<ModelStageName, Candidate[]>): string[] {
  return [...byStage]
    .filter(([stage, [candidate]]) => candidate.named !== undefined && candidate.named !== stage)
    .map(
      ([stage, [{ file, verdict }]]) =>
        `${file.name} is used as the ${STAGE_LABELS[stage]}, whatever its name says: ${verdict.why}.`,
    );
}
