/**
 * The generated tiny models stand in for the real SD-Turbo exports in every other test, so they must
 * look like them to the pipeline (names, element types, ranks, symbolic dims), behave like them
 * numerically (finite, varied, each UNet input mattering) and match model-manifest.json byte for byte.
 * Runs them on onnxruntime-web's wasm EP in Node.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromFloat16Bits, toFloat16Bits } from '../src/pipeline/engine/float16';
import { getModel, parseManifest } from '../src/pipeline/model/manifest';
import type {
  ModelEntry,
  ModelStageName,
  TensorElementType,
  TensorSpec,
} from '../src/pipeline/model/manifest-types';
import {
  REPO_ROOT,
  STAGE_PATHS,
  TINY_DIMS,
  TINY_MODEL_SETS,
  TINY_MODELS_DIR,
  TINY_STAGE_NAMES,
  ensureTinyModels,
  sha256Hex,
} from '../scripts/tiny-models/index';
import { onnx } from '../scripts/onnx-builder/onnx-graph';
import { Prng } from '../scripts/onnx-builder/prng';

// Two cores here: one wasm thread per session keeps the suite from thrashing.
ort.env.wasm.numThreads = 1;

const { sequenceLength, hiddenSize, latentChannels, latentSize, imageSize, imageChannels } = TINY_DIMS;
const LATENT_DIMS = [1, latentChannels, latentSize, latentSize];
const IMAGE_DIMS = [1, imageChannels, imageSize, imageSize];
const HIDDEN_DIMS = [1, sequenceLength, hiddenSize];
/** Start, a few words, the highest id (end of text), then padding: exercises both ends of the Gather. */
const TOKEN_IDS = Int32Array.from(
  { length: sequenceLength },
  (_, i) => [49406, 320, 1929, 3309, 49407][i] ?? 0,
);

type Sessions = Record<ModelStageName, ort.InferenceSession>;

let manifest: ReturnType<typeof parseManifest>;

beforeAll(async () => {
  await ensureTinyModels();
  manifest = parseManifest(JSON.parse(await readFile(join(REPO_ROOT, 'model-manifest.json'), 'utf8')));
});

describe('generated files', () => {
  it.each(TINY_MODEL_SETS.flatMap((set) => TINY_STAGE_NAMES.map((stage) => [set.id, stage] as const)))(
    '%s %s has the size and SHA-256 recorded in model-manifest.json',
    async (setId, stage) => {
      const file = getModel(manifest, setId).stages[stage]?.file;
      expect(file, `${setId} has no ${stage} in model-manifest.json`).toBeDefined();
      if (!file) return;
      const bytes = await readFile(join(TINY_MODELS_DIR, setId, STAGE_PATHS[stage]));
      expect(file.path).toBe(STAGE_PATHS[stage]);
      expect({ bytes: bytes.length, sha256: sha256Hex(bytes) }).toEqual({
        bytes: file.bytes,
        sha256: file.sha256,
      });
    },
  );

  it('manifest entries describe the tiny dims', () => {
    for (const set of TINY_MODEL_SETS) {
      const model = getModel(manifest, set.id);
      expect(model.baseUrl).toBe(`models/${set.id}/`);
      expect(model.hiddenSize).toBe(hiddenSize);
      expect(model.latent).toEqual({ channels: latentChannels, height: latentSize, width: latentSize });
      expect(model.image).toEqual({ height: imageSize, width: imageSize });
      expect(model.weights).toBe(set.floatType === 'float32' ? 'fp32' : 'fp16');
    }
  });
});

describe.each(TINY_MODEL_SETS)('$id', (set) => {
  let model: ModelEntry;
  let sessions: Sessions;

  beforeAll(async () => {
    model = getModel(manifest, set.id);
    sessions = await createSessions(model);
  });

  it.each(TINY_STAGE_NAMES)("%s inputs and outputs have the manifest's names and element types", (stage) => {
    const spec = model.stages[stage];
    if (!spec) throw new Error(`${model.id} has no ${stage}`);
    const { inputs, outputs } = spec;
    const session = sessions[stage];
    expect(describeValues(session.inputMetadata)).toEqual(describeSpecs(Object.values(inputs)));
    expect(describeValues(session.outputMetadata)).toEqual(describeSpecs(Object.values(outputs)));
  });

  it(`has ${set.staticShapes ? 'only fixed' : 'symbolic batch and size'} dimensions in its graph inputs and outputs`, async () => {
    const symbolic: string[] = [];
    for (const stage of TINY_STAGE_NAMES) {
      const bytes = await readFile(join(TINY_MODELS_DIR, set.id, STAGE_PATHS[stage]));
      const { graph } = onnx.ModelProto.decode(bytes);
      for (const value of [...(graph?.input ?? []), ...(graph?.output ?? [])]) {
        for (const dim of value.type?.tensorType?.shape?.dim ?? [])
          if (dim.dimParam) symbolic.push(dim.dimParam);
      }
    }
    if (set.staticShapes) expect(symbolic).toEqual([]);
    else expect(symbolic).toContain('batch_size');
  });

  it('text encoder: [1, 77, H] hidden states, finite, about unit std, different per prompt', async () => {
    const hidden = await encode(sessions, model, TOKEN_IDS);
    expect(hidden.dims).toEqual(HIDDEN_DIMS);
    expectVaried(hidden.values, 0.5, 2);
    const other = await encode(
      sessions,
      model,
      TOKEN_IDS.map((id, i) => (i === 2 ? 7 : id)),
    );
    expect(relativeRmsDifference(other.values, hidden.values)).toBeGreaterThan(0.01);
  });

  it('unet: noise-like output whose every input matters', async () => {
    const hidden = (await encode(sessions, model, TOKEN_IDS)).values;
    const base = { sample: gaussian(1, LATENT_DIMS), timestep: 999, hidden };
    const noisePred = await predictNoise(sessions, model, base);
    expect(noisePred.dims).toEqual(LATENT_DIMS);
    expectVaried(noisePred.values, 0.5, 2);

    const variants = {
      sample: { ...base, sample: gaussian(2, LATENT_DIMS) },
      timestep: { ...base, timestep: 499 },
      encoderHiddenStates: { ...base, hidden: hidden.map((v) => -v) },
    };
    for (const [input, feeds] of Object.entries(variants)) {
      const changed = await predictNoise(sessions, model, feeds);
      expect(relativeRmsDifference(changed.values, noisePred.values), input).toBeGreaterThan(0.01);
    }
  });

  it('vae decoder: [1, 3, 64, 64] image in [-1, 1], spread out, mostly unsaturated', async () => {
    // Typical decoder input: a denoised latent of about unit std divided by the scaling factor.
    const latent = gaussian(3, LATENT_DIMS).map((v) => v / model.vaeScalingFactor);
    const image = await decode(sessions, model, latent);
    expect(image.dims).toEqual([1, imageChannels, imageSize, imageSize]);
    expectVaried(image.values, 0.2, 1);
    expect(Math.max(...image.values.map(Math.abs))).toBeLessThanOrEqual(1);
    expect(image.values.filter((v) => Math.abs(v) > 0.98).length / image.values.length).toBeLessThan(0.1);
  });

  it('vae encoder: [1, 4, 8, 8] latent, finite, varied, different per image', async () => {
    const image = gaussian(6, IMAGE_DIMS).map((v) => Math.tanh(v));
    const latent = await encodeImage(sessions, model, image);
    expect(latent.dims).toEqual(LATENT_DIMS);
    expectVaried(latent.values, 0.1, 10);
    const flipped = await encodeImage(
      sessions,
      model,
      image.map((v) => -v),
    );
    expect(relativeRmsDifference(flipped.values, latent.values)).toBeGreaterThan(0.01);
  });
});

/**
 * Both sets carry the same seeded weights, the FP16 set's rounded to float16. Fed identical
 * (float16-representable) inputs, they differ by float16 rounding only: each rounding costs at most
 * 2^-11 (about 5e-4) relative. Measured on the wasm EP: 5e-4 to 7e-4 relative RMS per stage (ORT's CPU
 * kernels mostly upcast float16 internally, so this is the weights' and outputs' rounding). The 1e-2
 * bound leaves room for kernels that really compute in float16 (a few dozen chained roundings) while
 * a real mismatch (a wrong weight, layout or op) shows up as a difference of order 1.
 */
describe('tiny-fp16 agrees with tiny-fp32', () => {
  const TOLERANCE = 1e-2;
  let fp32: { model: ModelEntry; sessions: Sessions };
  let fp16: { model: ModelEntry; sessions: Sessions };

  beforeAll(async () => {
    const load = async (id: string) => {
      const model = getModel(manifest, id);
      return { model, sessions: await createSessions(model) };
    };
    [fp32, fp16] = [await load('tiny-fp32'), await load('tiny-fp16')];
  });

  it('text encoder', async () => {
    const reference = await encode(fp32.sessions, fp32.model, TOKEN_IDS);
    const half = await encode(fp16.sessions, fp16.model, TOKEN_IDS);
    expect(relativeRmsDifference(half.values, reference.values)).toBeLessThan(TOLERANCE);
  });

  it('unet', async () => {
    const hidden = roundToFloat16((await encode(fp32.sessions, fp32.model, TOKEN_IDS)).values);
    const feeds = { sample: roundToFloat16(gaussian(4, LATENT_DIMS)), timestep: 749, hidden };
    const reference = await predictNoise(fp32.sessions, fp32.model, feeds);
    const half = await predictNoise(fp16.sessions, fp16.model, feeds);
    expect(relativeRmsDifference(half.values, reference.values)).toBeLessThan(TOLERANCE);
  });

  it('vae encoder', async () => {
    const image = roundToFloat16(gaussian(7, IMAGE_DIMS).map((v) => Math.tanh(v)));
    const reference = await encodeImage(fp32.sessions, fp32.model, image);
    const half = await encodeImage(fp16.sessions, fp16.model, image);
    expect(relativeRmsDifference(half.values, reference.values)).toBeLessThan(TOLERANCE);
  });

  it('vae decoder', async () => {
    const latent = roundToFloat16(gaussian(5, LATENT_DIMS).map((v) => v / fp32.model.vaeScalingFactor));
    const reference = await decode(fp32.sessions, fp32.model, latent);
    const half = await decode(fp16.sessions, fp16.model, latent);
    expect(relativeRmsDifference(half.values, reference.values)).toBeLessThan(TOLERANCE);
  });
});

interface Output {
  dims: readonly number[];
  values: Float32Array;
}

async function createSessions(model: ModelEntry): Promise<Sessions> {
  const create = async (stage: ModelStageName) => {
    const spec = model.stages[stage];
    if (!spec) throw new Error(`${model.id} has no ${stage}`);
    const { file, session } = spec;
    const bytes = await readFile(join(TINY_MODELS_DIR, model.id, file.path));
    return ort.InferenceSession.create(bytes, { freeDimensionOverrides: session?.freeDimensionOverrides });
  };
  return {
    textEncoder: await create('textEncoder'),
    unet: await create('unet'),
    vaeDecoder: await create('vaeDecoder'),
    vaeEncoder: await create('vaeEncoder'),
  };
}

async function encode(sessions: Sessions, model: ModelEntry, ids: Int32Array): Promise<Output> {
  const { inputs, outputs } = model.stages.textEncoder;
  const result = await sessions.textEncoder.run({
    [inputs.inputIds.name]: new ort.Tensor('int32', ids, [1, ids.length]),
  });
  return readOutput(result[outputs.hiddenStates.name]);
}

async function predictNoise(
  sessions: Sessions,
  model: ModelEntry,
  feeds: { sample: Float32Array; timestep: number; hidden: Float32Array },
): Promise<Output> {
  const { inputs, outputs } = model.stages.unet;
  const result = await sessions.unet.run({
    [inputs.sample.name]: floatTensor(inputs.sample.type, feeds.sample, LATENT_DIMS),
    [inputs.timestep.name]: scalarTensor(inputs.timestep.type, feeds.timestep),
    [inputs.encoderHiddenStates.name]: floatTensor(
      inputs.encoderHiddenStates.type,
      feeds.hidden,
      HIDDEN_DIMS,
    ),
  });
  return readOutput(result[outputs.noisePred.name]);
}

async function decode(sessions: Sessions, model: ModelEntry, latent: Float32Array): Promise<Output> {
  const { inputs, outputs } = model.stages.vaeDecoder;
  const result = await sessions.vaeDecoder.run({
    [inputs.latentSample.name]: floatTensor(inputs.latentSample.type, latent, LATENT_DIMS),
  });
  return readOutput(result[outputs.sample.name]);
}

async function encodeImage(sessions: Sessions, model: ModelEntry, image: Float32Array): Promise<Output> {
  const spec = model.stages.vaeEncoder;
  if (!spec) throw new Error(`${model.id} has no VAE encoder`);
  const result = await sessions.vaeEncoder.run({
    [spec.inputs.sample.name]: floatTensor(spec.inputs.sample.type, image, IMAGE_DIMS),
  });
  return readOutput(result[spec.outputs.latentSample.name]);
}

function floatTensor(type: TensorElementType, values: Float32Array, dims: number[]): ort.Tensor {
  if (type === 'float16') return new ort.Tensor('float16', toFloat16Bits(values), dims);
  if (type === 'float32') return new ort.Tensor('float32', values, dims);
  throw new Error(`not a float type: ${type}`);
}

function scalarTensor(type: TensorElementType, value: number): ort.Tensor {
  switch (type) {
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.of(BigInt(value)), [1]);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.of(value), [1]);
    default:
      return floatTensor(type, Float32Array.of(value), [1]);
  }
}

function readOutput(tensor: ort.Tensor | undefined): Output {
  if (!tensor) throw new Error('missing output');
  const values =
    tensor.type === 'float16'
      ? fromFloat16Bits(tensor.data as Uint16Array)
      : Float32Array.from(tensor.data as Float32Array);
  return { dims: tensor.dims, values };
}

function describeValues(values: readonly ort.InferenceSession.ValueMetadata[]): string[] {
  return values.map((value) => `${value.name}: ${value.isTensor ? value.type : 'non-tensor'}`).sort();
}

function describeSpecs(specs: TensorSpec[]): string[] {
  return specs.map((spec) => `${spec.name}: ${spec.type}`).sort();
}

/** Approximately standard normal values (Irwin-Hall of 4 uniforms), reproducible from `seed`. */
function gaussian(seed: number, dims: number[]): Float32Array {
  const rng = new Prng(seed);
  const values = new Float32Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++)
    values[i] = (rng.next() + rng.next() + rng.next() + rng.next() - 2) * Math.sqrt(3);
  return values;
}

function roundToFloat16(values: Float32Array): Float32Array {
  return fromFloat16Bits(toFloat16Bits(values));
}

function standardDeviation(values: Float32Array): number {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  return Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
}

function expectVaried(values: Float32Array, minStd: number, maxStd: number): void {
  expect(values.every(Number.isFinite)).toBe(true);
  const std = standardDeviation(values);
  expect(std).toBeGreaterThan(minStd);
  expect(std).toBeLessThan(maxStd);
}

/** RMS of (actual - expected) over RMS of expected. */
function relativeRmsDifference(actual: Float32Array, expected: Float32Array): number {
  let difference = 0;
  let reference = 0;
  for (let i = 0; i < expected.length; i++) {
    difference += (actual[i] - expected[i]) ** 2;
    reference += expected[i] ** 2;
  }
  return Math.sqrt(difference / reference);
}
