// @module-tag scale
/**
 * The stand-in generator: narrow files are deterministic and listed exactly in a manifest the app
 * accepts; every set has the real export's inputs and outputs (names, element types, symbolic dims) and
 * its operators; the full-size set lands at the real files' sizes; and the streaming writer gives the
 * bytes an in-memory encode gives.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getModel, parseManifest } from '../src/pipeline/model/manifest';
import type { Manifest, ModelEntry, StageName, TensorSpec } from '../src/pipeline/model/manifest-types';
import { STAGE_NAMES } from '../src/pipeline/model/manifest-types';
import { Layers } from '../scripts/onnx-builder/layers';
import { fileDigest, plannedFileBytes, varint, writeModelFile } from '../scripts/onnx-builder/model-writer';
import { GraphBuilder } from '../scripts/onnx-builder/onnx-graph';
import { Prng } from '../scripts/onnx-builder/prng';
import {
  NARROW_SETS,
  STANDIN_MANIFEST_NAME,
  STANDIN_MODEL_SETS,
  STANDIN_MODELS_DIR,
  STANDIN_STAGE_BUILDERS,
  largestTensorBytes,
  writeStandinModels,
  type StandinModelSet,
} from '../scripts/standin-models/index';
import { SD_TURBO_ARCHITECTURE } from '../scripts/standin-models/config';
import { REPO_ROOT, STAGE_PATHS } from '../scripts/tiny-models/index';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as { onnx: typeof OnnxNamespace };

const ELEMENT_TYPE_NAMES: Record<number, string> = { 1: 'float32', 6: 'int32', 7: 'int64', 10: 'float16' };

let firstDir: string;
let secondDir: string;
let reference: ModelEntry;
let webnnReference: ModelEntry;

beforeAll(async () => {
  [firstDir, secondDir] = await Promise.all([
    mkdtemp(join(tmpdir(), 'standin-a-')),
    mkdtemp(join(tmpdir(), 'standin-b-')),
  ]);
  await writeStandinModels({ modelsDir: firstDir });
  await writeStandinModels({ modelsDir: secondDir });
  const realManifest = JSON.parse(await readFile(join(REPO_ROOT, 'model-manifest.json'), 'utf8')) as unknown;
  reference = getModel(parseManifest(realManifest), 'sd-turbo');
  webnnReference = getModel(parseManifest(realManifest), 'sd-turbo-webnn');
});

/**
 * The IO and session options a set's stage copies: sd-turbo's, or for `io: 'webnn-fp32'`
 * microsoft/sd-turbo-webnn's with FP32 in place of FP16 and no freeDimensionOverrides (static shapes).
 */
function expectedStage(set: StandinModelSet, stage: StageName) {
  if (set.io !== 'webnn-fp32') return reference.stages[stage];
  const spec = webnnReference.stages[stage];
  const fp32 = (specs: object) =>
    Object.fromEntries(
      Object.entries(specs).map(([key, value]: [string, TensorSpec]) => [
        key,
        { ...value, type: value.type === 'float16' ? 'float32' : value.type },
      ]),
    );
  const session = { ...spec.session };
  delete session.freeDimensionOverrides;
  return { inputs: fp32(spec.inputs), outputs: fp32(spec.outputs), session };
}

afterAll(async () => {
  await Promise.all([firstDir, secondDir].map((dir) => dir && rm(dir, { recursive: true, force: true })));
});

describe('narrow files and the generated manifest', () => {
  let manifest: Manifest;

  beforeAll(async () => {
    manifest = parseManifest(JSON.parse(await readFile(join(firstDir, STANDIN_MANIFEST_NAME), 'utf8')));
  });

  it('are the same bytes when generated twice', async () => {
    for (const set of NARROW_SETS) {
      for (const stage of STAGE_NAMES) {
        const path = `${set.id}/${STAGE_PATHS[stage]}`;
        const [first, second] = await Promise.all([
          fileDigest(join(firstDir, path)),
          fileDigest(join(secondDir, path)),
        ]);
        expect(first, path).toBeDefined();
        expect(second, path).toEqual(first);
      }
    }
  });

  it('lists the narrow sets (not the absent full-size one) with exact sizes and hashes', async () => {
    expect(manifest.defaultModel).toBe('standin-narrow-fp32');
    expect(manifest.models.map((model) => model.id)).toEqual([
      'standin-narrow-fp32',
      'standin-narrow-fp16',
      'standin-narrow-webnn-fp32',
    ]);
    for (const model of manifest.models) {
      expect(model.baseUrl).toBe(`${model.id}/`);
      for (const stage of STAGE_NAMES) {
        const { file } = model.stages[stage];
        const digest = await fileDigest(join(firstDir, model.baseUrl, file.path));
        expect({ bytes: file.bytes, sha256: file.sha256 }).toEqual(digest);
      }
    }
  });

  it("copies sd-turbo's (or sd-turbo-webnn's) IO and session options, with the narrow text width and the real sizes", () => {
    for (const model of manifest.models) {
      const set = standinSet(model.id);
      expect(model.weights).toBe(set.weights === 'float32' ? 'fp32' : 'fp16');
      expect(model.hiddenSize).toBe(set.architecture.textEncoder.width);
      expect(model.latent).toEqual(reference.latent);
      expect(model.image).toEqual(reference.image);
      for (const stage of STAGE_NAMES) {
        const { inputs, outputs, session } = model.stages[stage];
        const expected = expectedStage(set, stage);
        expect({ inputs, outputs, session }).toEqual({
          inputs: expected.inputs,
          outputs: expected.outputs,
          session: expected.session,
        });
      }
    }
  });

  it('states requirements derived from each architecture, as sd-turbo states its own', () => {
    const narrow = getModel(manifest, 'standin-narrow-fp32');
    // One head of 4096 x 4096 FP32 attention scores is the narrow set's largest tensor.
    expect(narrow.requires.webgpu).toEqual({
      shaderF16: false,
      maxStorageBufferBindingSize: 4096 * 4096 * 4,
      maxBufferSize: 4096 * 4096 * 4,
    });
    expect(getModel(manifest, 'standin-narrow-fp16').requires.webgpu).toMatchObject({ shaderF16: true });
    expect(narrow.requires.wasm).not.toBe(false);
    expect(largestTensorBytes(SD_TURBO_ARCHITECTURE, 2)).toBe(
      reference.requires.webgpu && reference.requires.webgpu.maxStorageBufferBindingSize,
    );
  });

  it('skips files that are already current', async () => {
    const before = await stat(join(firstDir, 'standin-narrow-fp32', STAGE_PATHS.unet));
    const files = await writeStandinModels({ modelsDir: firstDir });
    expect(files.every((file) => !file.rewritten)).toBe(true);
    const after = await stat(join(firstDir, 'standin-narrow-fp32', STAGE_PATHS.unet));
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });
});

describe.each(STANDIN_MODEL_SETS)("$id matches its real export's inputs and outputs", (set) => {
  const graphs = {} as Record<StageName, OnnxNamespace.IGraphProto>;

  beforeAll(async () => {
    for (const stage of STAGE_NAMES) graphs[stage] = await loadGraph(set, stage);
  });

  it.each(STAGE_NAMES)('%s: names and element types as in model-manifest.json', (stage) => {
    const { inputs, outputs } = expectedStage(set, stage);
    const describeSpecs = (specs: Record<string, { name: string; type: string }>) =>
      Object.values(specs).map((spec) => `${spec.name}: ${spec.type}`);
    expect(describeValues(graphs[stage].input)).toEqual(describeSpecs(inputs));
    expect(describeValues(graphs[stage].output)).toEqual(describeSpecs(outputs));
  });

  it.each(STAGE_NAMES)('%s: symbolic dims are the freeDimensionOverrides names', (stage) => {
    const symbolic = new Set(
      (graphs[stage].input ?? []).flatMap((value) => dimsOf(value).filter((d) => typeof d === 'string')),
    );
    expect([...symbolic].sort()).toEqual(
      Object.keys(expectedStage(set, stage).session?.freeDimensionOverrides ?? {}).sort(),
    );
  });

  it("has the real exports' shapes, with the text width in place of 1024", () => {
    const width = set.architecture.textEncoder.width;
    const shapes = Object.fromEntries(
      STAGE_NAMES.flatMap((stage) =>
        [...(graphs[stage].input ?? []), ...(graphs[stage].output ?? [])].map((value) => [
          value.name,
          dimsOf(value),
        ]),
      ),
    );
    if (set.io === 'webnn-fp32') {
      // microsoft/sd-turbo-webnn's graphs: every dimension fixed.
      expect(shapes).toEqual({
        input_ids: [1, 77],
        last_hidden_state: [1, 77, width],
        sample: [1, 3, 512, 512],
        timestep: [1],
        encoder_hidden_states: [1, 77, width],
        out_sample: [1, 4, 64, 64],
        latent_sample: [1, 4, 64, 64],
      });
      return;
    }
    expect(shapes).toEqual({
      input_ids: ['batch_size', 77],
      last_hidden_state: ['batch_size', 77, width],
      sample: ['batch_size', 3, 'height', 'width'],
      timestep: [1],
      encoder_hidden_states: ['batch_size', 'sequence_length', width],
      out_sample: ['batch_size', 'num_channels', 'height', 'width'],
      latent_sample: ['batch_size', 'num_channels_latent', 'height_latent', 'width_latent'],
    });
    if (set.id === 'standin-sd-turbo') expect(width).toBe(reference.hiddenSize);
  });

  it("uses the real graphs' operators", () => {
    const ops = (stage: StageName) => new Set((graphs[stage].node ?? []).map((node) => node.opType));
    expect([...ops('textEncoder')]).toEqual(
      expect.arrayContaining(['Gather', 'LayerNormalization', 'MatMul', 'Softmax', 'Erf', 'Transpose']),
    );
    // GEGLU (Split, Erf), attention (Softmax), GroupNorm (Reshape + InstanceNormalization), skips (Concat),
    // up/down sampling (Resize, strided Conv), time embedding (Sin, Cos, Gemm).
    expect([...ops('unet')]).toEqual(
      expect.arrayContaining([
        'Split',
        'Erf',
        'Softmax',
        'InstanceNormalization',
        'Reshape',
        'Resize',
        'Concat',
        'Gemm',
        'Sin',
        'Cos',
      ]),
    );
    expect([...ops('vaeDecoder')]).toEqual(
      expect.arrayContaining(['Conv', 'InstanceNormalization', 'Softmax', 'Resize', 'Sigmoid']),
    );
    const strided = (graphs.unet.node ?? []).filter(
      (node) =>
        node.opType === 'Conv' &&
        node.attribute?.some((a) => a.name === 'strides' && a.ints?.map(Number).join() === '2,2'),
    );
    expect(strided).toHaveLength(set.architecture.unet.blockChannels.length - 1);
  });

  it('keeps float32 at the edges: FP16 graphs Cast after each float input and before each output', () => {
    for (const stage of STAGE_NAMES) {
      const nodes = graphs[stage].node ?? [];
      const floatInputs = (graphs[stage].input ?? []).filter((value) => elementType(value) === 'float32');
      for (const input of floatInputs) {
        const consumers = nodes.filter((node) => node.input?.includes(input.name ?? ''));
        const expected =
          set.weights === 'float16' ? ['Cast'] : consumers.map(() => expect.not.stringMatching(/^Cast$/));
        expect(
          consumers.map((node) => node.opType),
          `${stage} ${input.name}`,
        ).toEqual(expected);
      }
      for (const output of graphs[stage].output ?? []) {
        const producer = nodes.find((node) => node.output?.includes(output.name ?? ''));
        expect(producer?.opType === 'Cast', `${stage} ${output.name}`).toBe(set.weights === 'float16');
      }
    }
  });
});

describe.each(['standin-sd-turbo', 'standin-sd-turbo-fp32'])('the full-size set %s', (id) => {
  const full = standinSet(id);

  it.each(STAGE_NAMES)('%s is within 3 percent of the real file size', (stage) => {
    const bytes = plannedFileBytes(STANDIN_STAGE_BUILDERS[stage](full));
    // The sd-turbo entry pins schmuell/sd-turbo-ort-web's exact file sizes (tests/manifest.test.ts).
    const realBytes = reference.stages[stage]?.file.bytes;
    if (realBytes === undefined) throw new Error(`model-manifest.json's sd-turbo has no exact ${stage} size`);
    expect(Math.abs(bytes / realBytes - 1)).toBeLessThan(0.03);
  });

  it('keeps every weight in its own precision (no other float initializer bigger than a vector)', () => {
    const other = full.weights === 'float16' ? 'float32' : 'float16';
    for (const stage of STAGE_NAMES) {
      const { initializers } = STANDIN_STAGE_BUILDERS[stage](full);
      const stray = initializers.filter((tensor) => tensor.type === other && tensor.count > 1024);
      expect(stray.map((tensor) => tensor.header.name)).toEqual([]);
    }
  });

  it('on disk, when generated, has the planned sizes', async () => {
    for (const stage of STAGE_NAMES) {
      const path = join(STANDIN_MODELS_DIR, full.id, STAGE_PATHS[stage]);
      const size = await stat(path).then(
        (info) => info.size,
        () => undefined,
      );
      if (size !== undefined) expect(size).toBe(plannedFileBytes(STANDIN_STAGE_BUILDERS[stage](full)));
    }
  });
});

describe('streaming writer', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'model-writer-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(['float32', 'float16'] as const)(
    'writes the bytes encode() gives (%s weights)',
    async (floatType) => {
      const path = join(dir, `${floatType}.onnx`);
      const written = await writeModelFile(path, smallGraph(floatType).parts('small', 'a small graph'));
      const inMemory = smallGraph(floatType).encode('small', 'a small graph');
      const streamed = await readFile(path);
      expect(written.bytes).toBe(inMemory.length);
      expect(onnx.ModelProto.decode(streamed).toJSON()).toEqual(onnx.ModelProto.decode(inMemory).toJSON());
      expect(Buffer.from(streamed).equals(Buffer.from(inMemory))).toBe(true);
    },
  );

  it('encodes lengths beyond 2^31 as protobuf varints', () => {
    expect([...varint(0)]).toEqual([0]);
    expect([...varint(300)]).toEqual([0xac, 0x02]);
    expect([...varint(2 ** 32)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x10]);
    expect([...varint(3_000_000_000)]).toEqual([0x80, 0xbc, 0xc1, 0x96, 0x0b]);
  });
});

/** A graph with float, int64 and scalar initializers, a multi-output node and symbolic dims. */
function smallGraph(floatType: 'float32' | 'float16'): GraphBuilder {
  const graph = new GraphBuilder(floatType);
  const layers = new Layers(graph, new Prng(1));
  const x = graph.addInput('x', floatType, ['batch', 4, 'height', 'width']);
  const conv = layers.conv('conv', x, 4, 6, { stride: 2 });
  const [first, second] = graph.nodeWithOutputs('Split', [conv, graph.int64('split', [2], [3, 3])], 2, {
    axis: 1,
  });
  const output = graph.node('Mul', [layers.silu(first), layers.groupNorm('norm', second, 3, 3)]);
  graph.addOutput(output, 'y', floatType, ['batch', 3, 'h', 'w']);
  return graph;
}

function standinSet(id: string): StandinModelSet {
  const set = STANDIN_MODEL_SETS.find((candidate) => candidate.id === id);
  if (!set) throw new Error(`no stand-in set ${id}`);
  return set;
}

/** Narrow graphs are read back from the generated files; the full-size one is built without weights. */
async function loadGraph(set: StandinModelSet, stage: StageName): Promise<OnnxNamespace.IGraphProto> {
  if (set.full) {
    const { graphHead, graphTail } = STANDIN_STAGE_BUILDERS[stage](set);
    return { ...graphHead, ...graphTail };
  }
  const model = onnx.ModelProto.decode(await readFile(join(firstDir, set.id, STAGE_PATHS[stage])));
  if (!model.graph) throw new Error(`${set.id} ${stage} has no graph`);
  return model.graph;
}

function elementType(value: OnnxNamespace.IValueInfoProto): string {
  return ELEMENT_TYPE_NAMES[value.type?.tensorType?.elemType ?? 0] ?? 'unknown';
}

function dimsOf(value: OnnxNamespace.IValueInfoProto): (string | number)[] {
  return (value.type?.tensorType?.shape?.dim ?? []).map((dim) => dim.dimParam || Number(dim.dimValue));
}

function describeValues(values: OnnxNamespace.IValueInfoProto[] | null | undefined): string[] {
  return (values ?? []).map((value) => `${value.name}: ${elementType(value)}`);
}
