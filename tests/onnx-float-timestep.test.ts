/**
 * floatTimestepModel must give ORT the same UNet with a float32 timestep in place of the int64 one (so no
 * int64 node keeps the UNet off WebGPU graph capture): no int64 input left, and onnxruntime-node's CPU EP
 * gives the same output for the float timestep as the original graph for the int64 one.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { floatTimestepModel, TimestepRewriteError } from '../src/pipeline/model/onnx/onnx-float-timestep';
import { OnnxFormatError } from '../src/pipeline/model/onnx/onnx-proto';
import { Prng } from '../scripts/onnx-builder/prng';
import { STAGE_PATHS, TINY_DIMS, TINY_MODELS_DIR, ensureTinyModels } from '../scripts/tiny-models/index';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as { onnx: typeof OnnxNamespace };
const { FLOAT, INT64 } = onnx.TensorProto.DataType;

let unet: Uint8Array;

beforeAll(async () => {
  await ensureTinyModels();
  unet = new Uint8Array(await readFile(join(TINY_MODELS_DIR, 'tiny-fp32', STAGE_PATHS.unet)));
});

function inputTypes(model: Uint8Array): Record<string, number | null | undefined> {
  const decoded = onnx.ModelProto.decode(model);
  return Object.fromEntries(
    (decoded.graph?.input ?? []).map((input) => [input.name, input.type?.tensorType?.elemType]),
  );
}

function randomFloats(count: number, seed: number): Float32Array {
  return new Prng(seed).uniform(count, 1);
}

describe('floatTimestepModel', () => {
  it('makes the int64 timestep float32 and leaves the other inputs as they were', () => {
    expect(inputTypes(unet).timestep).toBe(INT64);
    const { graph, rewritten } = floatTimestepModel(unet, 'timestep');
    expect(rewritten).toBe(true);
    const types = inputTypes(graph);
    expect(types.timestep).toBe(FLOAT);
    expect(types.sample).toBe(FLOAT);
    expect(types.encoder_hidden_states).toBe(FLOAT);
    // Only the one element type changed: the node list and the weights are the same bytes.
    const before = onnx.ModelProto.decode(unet).graph!;
    const after = onnx.ModelProto.decode(graph).graph!;
    expect((after.node ?? []).map((node) => node.opType)).toEqual(
      (before.node ?? []).map((node) => node.opType),
    );
    expect(after.initializer?.length).toBe(before.initializer?.length);
  });

  it('gives the same output on onnxruntime-node for the float timestep as the original for int64', async () => {
    const { latentChannels, latentSize, hiddenSize, sequenceLength } = TINY_DIMS;
    const sampleDims = [1, latentChannels, latentSize, latentSize];
    const sample = randomFloats(
      sampleDims.reduce((a, b) => a * b),
      1,
    );
    const hidden = randomFloats(sequenceLength * hiddenSize, 2);
    const original = await ort.InferenceSession.create(unet);
    const rewritten = await ort.InferenceSession.create(floatTimestepModel(unet, 'timestep').graph);
    try {
      for (const timestep of [999, 499, 0]) {
        const feeds = {
          sample: new ort.Tensor('float32', sample, sampleDims),
          encoder_hidden_states: new ort.Tensor('float32', hidden, [1, sequenceLength, hiddenSize]),
        };
        const expected = await original.run({
          ...feeds,
          timestep: new ort.Tensor('int64', BigInt64Array.of(BigInt(timestep)), [1]),
        });
        const actual = await rewritten.run({
          ...feeds,
          timestep: new ort.Tensor('float32', Float32Array.of(timestep), [1]),
        });
        const want = expected.out_sample.data as Float32Array;
        const got = actual.out_sample.data as Float32Array;
        expect(got.length).toBe(want.length);
        // The same graph after the no-op Cast: the same floats, bit for bit.
        expect(Array.from(got)).toEqual(Array.from(want));
      }
    } finally {
      await original.release();
      await rewritten.release();
    }
  });

  it('leaves a model whose timestep is already float untouched', async () => {
    const webnn = new Uint8Array(await readFile(join(TINY_MODELS_DIR, 'tiny-webnn-fp32', STAGE_PATHS.unet)));
    const result = floatTimestepModel(webnn, 'timestep');
    expect(result.rewritten).toBe(false);
    expect(result.graph).toBe(webnn);
  });

  it('refuses a timestep that an operator reads as int64', () => {
    const model = onnx.ModelProto.decode(unet);
    const graph = model.graph!;
    // An int64 Add on the timestep: float would change what the graph computes, so no rewrite.
    graph.node = [
      onnx.NodeProto.create({
        name: 'offset',
        opType: 'Add',
        input: ['timestep', 'timestep'],
        output: ['t2'],
      }),
      ...(graph.node ?? []),
    ];
    const bytes = onnx.ModelProto.encode(model).finish();
    expect(() => floatTimestepModel(bytes, 'timestep')).toThrow(TimestepRewriteError);
    expect(() => floatTimestepModel(bytes, 'timestep')).toThrow('read as int64 by Add node "offset"');
  });

  it('refuses a model without that input', () => {
    expect(() => floatTimestepModel(unet, 'time')).toThrow(OnnxFormatError);
    expect(() => floatTimestepModel(unet, 'time')).toThrow('The model has no input "time".');
  });
});
