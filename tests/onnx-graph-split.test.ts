/**
 * splitGraph: a stage cut into parts, run one part after another with the values the earlier ones made,
 * gives what the whole graph gives. Runs the tiny models on onnxruntime-web's wasm EP in Node, with the
 * weights embedded and external (as the pipeline gives them), and checks the cut by the weights it moves.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { externalizeInitializers } from '../src/pipeline/model/onnx/onnx-external-data';
import {
  GraphSplitError,
  splitGraph,
  type GraphSplit,
  type ValueType,
} from '../src/pipeline/model/onnx/onnx-graph-split';
import { onnxDataType } from '../src/pipeline/model/onnx/onnx-proto';
import { STAGE_PATHS, TINY_DIMS, TINY_MODELS_DIR, ensureTinyModels } from '../scripts/tiny-models/index';
import { tinyUnetFeeds } from './support/tiny-unet-feeds';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as { onnx: typeof OnnxNamespace };

ort.env.wasm.numThreads = 1;

type Feeds = Record<string, ort.Tensor>;
let unet: Uint8Array;
let textEncoder: Uint8Array;
let unetFeeds: Feeds;

beforeAll(async () => {
  await ensureTinyModels();
  const read = async (path: string) =>
    new Uint8Array(await readFile(join(TINY_MODELS_DIR, 'tiny-fp32', path)));
  unet = await read(STAGE_PATHS.unet);
  textEncoder = await read(STAGE_PATHS.textEncoder);
  unetFeeds = tinyUnetFeeds(7, 8);
});

async function runWhole(model: Uint8Array, feeds: Feeds, options: ort.InferenceSession.SessionOptions = {}) {
  const session = await ort.InferenceSession.create(model, options);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** The parts one after another, each session released before the next is made, as low-memory mode does. */
async function runParts(split: GraphSplit, feeds: Feeds, options: ort.InferenceSession.SessionOptions = {}) {
  const values = new Map<string, ort.Tensor>(Object.entries(feeds));
  const types = new Map<string, ValueType>();
  for (const [index, part] of split.parts.entries()) {
    const session = await ort.InferenceSession.create(split.model(index, types), options);
    try {
      const outputs = await session.run(
        Object.fromEntries(part.inputs.map((name) => [name, values.get(name)!])),
      );
      for (const [name, tensor] of Object.entries(outputs)) {
        values.set(name, tensor);
        types.set(name, { elementType: onnxDataType(tensor.type), dims: tensor.dims });
      }
    } finally {
      await session.release();
    }
  }
  return values;
}

function maxDifference(a: ort.Tensor, b: ort.Tensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  expect(x.length).toBe(y.length);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  return max;
}

describe('splitGraph', () => {
  it.each([2, 3, 4])("runs the tiny UNet in %i parts to the whole graph's output", async (count) => {
    const whole = await runWhole(unet, unetFeeds);
    const split = splitGraph(unet, count);
    expect(split.parts).toHaveLength(count);
    const values = await runParts(split, unetFeeds);
    const output = values.get('out_sample')!;
    expect(output.dims).toEqual(whole.out_sample.dims);
    expect(maxDifference(output, whole.out_sample)).toBeLessThan(1e-5);
    expect(new Set(output.data as Float32Array).size).toBeGreaterThan(10);
    // The first part reads the graph's inputs it needs; the last gives the graph's output.
    expect(split.parts[0].inputs).toContain('sample');
    expect(split.parts.at(-1)!.outputs).toContain('out_sample');
  });

  it('cuts where each part holds about its share of the weights', () => {
    const original = onnx.ModelProto.decode(unet);
    const total = (original.graph?.initializer ?? []).reduce(
      (sum, tensor) => sum + (tensor.rawData?.byteLength ?? 0),
      0,
    );
    const { parts } = splitGraph(unet, 2);
    const weights = parts.map((part) => part.weightBytes);
    // Initializers used on both sides of the cut count twice, so the sum is at least the total.
    expect(weights[0] + weights[1]).toBeGreaterThanOrEqual(total);
    for (const bytes of weights) {
      expect(bytes).toBeGreaterThan(total * 0.2);
      expect(bytes).toBeLessThan(total * 0.8);
    }
    // Each part's model holds only the initializers its nodes use.
    for (const [index] of parts.entries()) {
      const types = new Map(parts.flatMap((part) => part.inputs).map((name) => [name, { elementType: 1 }]));
      const partModel = onnx.ModelProto.decode(splitGraph(unet, 2).model(index, types));
      const used = new Set((partModel.graph?.node ?? []).flatMap((node) => node.input ?? []));
      for (const tensor of partModel.graph?.initializer ?? []) expect(used.has(tensor.name!)).toBe(true);
      expect(partModel.opsetImport).toEqual(original.opsetImport);
    }
  });

  it('gives the values from earlier parts their element types and dimensions (static, as WebNN needs)', async () => {
    const split = splitGraph(unet, 2);
    const values = await runParts(split, unetFeeds);
    const boundary = split.parts[1].inputs.filter((name) => !(name in unetFeeds));
    expect(boundary.length).toBeGreaterThan(0);
    const types = new Map(
      boundary.map((name) => {
        const tensor = values.get(name)!;
        return [name, { elementType: onnxDataType(tensor.type), dims: tensor.dims }] as const;
      }),
    );
    const second = onnx.ModelProto.decode(split.model(1, types));
    for (const name of boundary) {
      const input = second.graph!.input!.find((value) => value.name === name)!;
      const tensorType = input.type!.tensorType!;
      expect(tensorType.elemType).toBe(onnxDataType(values.get(name)!.type));
      expect(tensorType.shape!.dim!.map((dim) => Number(dim.dimValue))).toEqual(values.get(name)!.dims);
    }
  });

  it('keeps external weight references, so every part takes the same externalData', async () => {
    const { graph, externalData } = externalizeInitializers(unet, 'unet.weights');
    const options = { externalData: [externalData] };
    const whole = await runWhole(graph, unetFeeds, options);
    const values = await runParts(splitGraph(graph, 2), unetFeeds, options);
    expect(maxDifference(values.get('out_sample')!, whole.out_sample)).toBeLessThan(1e-5);
  });

  it('runs a graph with int32 ids and a Gather through the cut (the text encoder)', async () => {
    const ids = Int32Array.from({ length: TINY_DIMS.sequenceLength }, (_, i) => [49406, 320, 49407][i] ?? 0);
    const feeds = { input_ids: new ort.Tensor('int32', ids, [1, TINY_DIMS.sequenceLength]) };
    const whole = await runWhole(textEncoder, feeds);
    const values = await runParts(splitGraph(textEncoder, 3), feeds);
    expect(maxDifference(values.get('last_hidden_state')!, whole.last_hidden_state)).toBeLessThan(1e-5);
  });

  it('gives back one part that is the whole graph', async () => {
    const split = splitGraph(unet, 1);
    expect(split.parts[0].inputs.sort()).toEqual(['encoder_hidden_states', 'sample', 'timestep']);
    expect(split.parts[0].outputs).toEqual(['out_sample']);
    const values = await runParts(split, unetFeeds);
    const whole = await runWhole(unet, unetFeeds);
    expect(values.get('out_sample')!.data).toEqual(whole.out_sample.data);
  });

  it('says what it cannot do', () => {
    expect(() => splitGraph(unet, 0)).toThrow(GraphSplitError);
    expect(() => splitGraph(unet, 2.5)).toThrow(/whole number of parts/);
    expect(() => splitGraph(unet, 100_000)).toThrow(/cannot be cut into 100000 parts/);
    expect(() => splitGraph(new Uint8Array(), 2)).toThrow(/has no graph/);
    const split = splitGraph(unet, 2);
    expect(() => split.model(1)).toThrow(/The type of ".*", made by an earlier part, was not given/);
    expect(() => split.model(2)).toThrow(/no part 2 of 2/);
  });
});
