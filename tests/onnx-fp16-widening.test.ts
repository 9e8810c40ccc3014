/**
 * widenFp16Model must give ORT the FP32 form of an FP16 graph: no FP16 element type left anywhere, every
 * weight widened exactly (each half to the float it denotes), the weights in pieces of bounded size, and
 * outputs that agree with the FP16 graph within FP16 rounding. The FP16 and FP32 graphs run on
 * onnxruntime-node's CPU EP.
 */
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { float16BitsToFloat32, float32ToFloat16Bits, fromFloat16Bits } from '../src/pipeline/engine/float16';
import {
  OnnxFormatError,
  WidenedTensorTooLargeError,
  float16BitsToFloat32Bits,
  widenFp16Model,
  type WidenedModel,
} from '../src/pipeline/model/onnx/onnx-fp16-widening';
import type { ModelStageName } from '../src/pipeline/model/manifest-types';
import { FP16_STAGES, tinyFp16Files } from './support/tiny-fp16-files';
import { Prng } from '../scripts/onnx-builder/prng';
import { TINY_DIMS } from '../scripts/tiny-models/index';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as { onnx: typeof OnnxNamespace };
const { FLOAT, FLOAT16 } = onnx.TensorProto.DataType;

const STAGES = FP16_STAGES;
let files: Record<ModelStageName, Uint8Array>;

beforeAll(async () => {
  files = await tinyFp16Files();
});

describe('float16BitsToFloat32Bits', () => {
  it('converts all 65536 halves exactly: normals, subnormals, zeros, infinities and NaN payloads', () => {
    const view = new DataView(new ArrayBuffer(4));
    for (let half = 0; half < 65536; half++) {
      view.setUint32(0, float16BitsToFloat32Bits(half));
      const float = view.getFloat32(0);
      const expected = float16BitsToFloat32(half);
      if (Number.isNaN(expected)) {
        expect(Number.isNaN(float)).toBe(true);
        // The payload and sign survive: a quiet NaN stays quiet, a signalling one signalling.
        expect((view.getUint32(0) >>> 13) & 0x3ff).toBe(half & 0x3ff);
        expect(view.getUint32(0) >>> 31).toBe(half >>> 15);
        continue;
      }
      if (!Object.is(float, expected)) expect.fail(`half 0x${half.toString(16)}: ${float} != ${expected}`);
      // And back: every non-NaN half round-trips through FP32.
      if (float32ToFloat16Bits(float) !== half)
        expect.fail(`half 0x${half.toString(16)} does not round-trip`);
    }
  });
});

interface DecodedTensor {
  tensor: OnnxNamespace.ITensorProto;
  values: Float32Array;
}

function externalEntries(tensor: OnnxNamespace.ITensorProto): Record<string, string> {
  return Object.fromEntries((tensor.externalData ?? []).map((entry) => [entry.key, entry.value]));
}

/** The FP32 values of a widened tensor, read from its raw_data or its piece. */
function widenedValues(tensor: OnnxNamespace.ITensorProto, widened: WidenedModel): Float32Array {
  if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) {
    const raw = tensor.rawData ?? new Uint8Array();
    return new Float32Array(raw.slice().buffer);
  }
  const { location, offset, length } = externalEntries(tensor);
  const piece = widened.externalData.find((entry) => entry.path === location);
  if (!piece) throw new Error(`no piece named ${location}`);
  expect(Number(offset) + Number(length)).toBeLessThanOrEqual(piece.data.byteLength);
  expect(Number(offset) % 4).toBe(0);
  return new Float32Array(piece.data.buffer, piece.data.byteOffset + Number(offset), Number(length) / 4);
}

function halves(tensor: OnnxNamespace.ITensorProto): Float32Array {
  const raw = (tensor.rawData ?? new Uint8Array()).slice();
  return fromFloat16Bits(new Uint16Array(raw.buffer));
}

/** Every tensor of a graph (initializers and node attributes), subgraphs included. */
function tensorsOf(graph: OnnxNamespace.IGraphProto): OnnxNamespace.ITensorProto[] {
  return [
    ...(graph.initializer ?? []),
    ...(graph.node ?? []).flatMap((node) =>
      (node.attribute ?? []).flatMap((attribute) => [
        ...(attribute.t ? [attribute.t] : []),
        ...(attribute.tensors ?? []),
        ...(attribute.g ? tensorsOf(attribute.g) : []),
      ]),
    ),
  ];
}

function elementTypes(graph: OnnxNamespace.IGraphProto): number[] {
  return [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])].map(
    (value) => value.type?.tensorType?.elemType ?? 0,
  );
}

function castTargets(graph: OnnxNamespace.IGraphProto): number[] {
  return (graph.node ?? [])
    .filter((node) => node.opType === 'Cast')
    .map((node) => Number(node.attribute?.find((attribute) => attribute.name === 'to')?.i ?? 0));
}

describe('widenFp16Model on the tiny FP16 graphs', () => {
  it('leaves no FP16 element type: initializers, constants, Cast targets, inputs, outputs, value infos', () => {
    for (const stage of STAGES) {
      const before = onnx.ModelProto.decode(files[stage]).graph!;
      const widened = widenFp16Model(files[stage], { location: `${stage}.weights` });
      const after = onnx.ModelProto.decode(widened.graph).graph!;

      expect(tensorsOf(before).some((tensor) => tensor.dataType === FLOAT16)).toBe(true);
      expect(tensorsOf(after).map((tensor) => tensor.dataType)).not.toContain(FLOAT16);
      expect(elementTypes(before)).toContain(FLOAT16);
      expect(elementTypes(after)).not.toContain(FLOAT16);
      expect(castTargets(after)).not.toContain(FLOAT16);
      expect(after.node?.map((node) => node.opType)).toEqual(before.node?.map((node) => node.opType));
      expect(widened.tensorsWidened).toBe(tensorsOf(before).filter((t) => t.dataType === FLOAT16).length);
    }
    // The UNet casts its timestep embedding to FP16: that Cast now targets FP32.
    const unetBefore = onnx.ModelProto.decode(files.unet).graph!;
    expect(castTargets(unetBefore)).toContain(FLOAT16);
    expect(
      castTargets(onnx.ModelProto.decode(widenFp16Model(files.unet, { location: 'u' }).graph).graph!),
    ).toContain(FLOAT);
  });

  it('widens every initializer and constant exactly, the large ones into pieces', () => {
    for (const stage of STAGES) {
      const widened = widenFp16Model(files[stage], { location: `${stage}.weights` });
      const before = tensorsOf(onnx.ModelProto.decode(files[stage]).graph!);
      const after = tensorsOf(onnx.ModelProto.decode(widened.graph).graph!);
      expect(after.map((tensor) => tensor.name)).toEqual(before.map((tensor) => tensor.name));
      let externalBytes = 0;
      for (const [index, original] of before.entries()) {
        const tensor = after[index];
        expect(tensor.dims).toEqual(original.dims);
        if (original.dataType !== FLOAT16) {
          expect(tensor).toEqual(original);
          continue;
        }
        const decoded: DecodedTensor = { tensor, values: widenedValues(tensor, widened) };
        const expected = halves(original);
        expect(decoded.values.length).toBe(expected.length);
        // Bytes, not a deep equal: the token embedding alone has 1.6 M values.
        const bytes = Buffer.from(
          decoded.values.buffer,
          decoded.values.byteOffset,
          decoded.values.byteLength,
        );
        expect(bytes.equals(Buffer.from(expected.buffer)), String(tensor.name)).toBe(true);
        if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
          externalBytes += decoded.values.byteLength;
          expect(decoded.values.byteLength).toBeGreaterThanOrEqual(1024);
        }
      }
      expect(widened.externalBytes).toBe(externalBytes);
      expect(widened.externalData.reduce((sum, piece) => sum + piece.data.byteLength, 0)).toBe(externalBytes);
      expect(widened.graph.byteLength).toBeLessThan(files[stage].byteLength);
    }
  });

  it('keeps each piece within maxPieceBytes unless one tensor alone is larger, never splitting a tensor', () => {
    const maxPieceBytes = 4096;
    const widened = widenFp16Model(files.textEncoder, { location: 'te', maxPieceBytes });
    const after = onnx.ModelProto.decode(widened.graph).graph!;
    const external = (after.initializer ?? []).filter(
      (tensor) => tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL,
    );
    const byPiece = new Map<string, number[]>();
    for (const tensor of external) {
      const { location, length } = externalEntries(tensor);
      byPiece.set(location, [...(byPiece.get(location) ?? []), Number(length)]);
    }
    expect(widened.externalData.length).toBeGreaterThan(3);
    expect(widened.externalData.map((piece) => piece.path)).toEqual(
      widened.externalData.map((_, index) => `te.${index}`),
    );
    for (const piece of widened.externalData) {
      const lengths = byPiece.get(piece.path) ?? [];
      expect(lengths.reduce((sum, length) => sum + length, 0)).toBe(piece.data.byteLength);
      if (lengths.length > 1) expect(piece.data.byteLength).toBeLessThanOrEqual(maxPieceBytes);
    }
    // The 49408x32 token embedding (6.3 MB in FP32) is larger than a piece: it has one of its own.
    const embedding = Math.max(...external.map((tensor) => Number(externalEntries(tensor).length)));
    expect(embedding).toBe(TINY_DIMS.vocabSize * TINY_DIMS.hiddenSize * 4);
    expect(widened.largestTensorBytes).toBe(embedding);
    expect(widened.externalData.some((piece) => piece.data.byteLength === embedding)).toBe(true);
  });

  it('refuses a tensor larger than the device allows, naming it', () => {
    const limit = 4 * 1024 ** 2;
    const widen = () => widenFp16Model(files.textEncoder, { location: 'te', maxTensorBytes: limit });
    expect(widen).toThrow(WidenedTensorTooLargeError);
    expect(widen).toThrow(
      new RegExp(`is ${TINY_DIMS.vocabSize * TINY_DIMS.hiddenSize * 4} bytes in FP32, above the ${limit}`),
    );
  });

  it('refuses bytes that are not an ONNX model, and a bad piece size', () => {
    const html = new TextEncoder().encode('<!doctype html><html><body>Not here</body></html>');
    expect(() => widenFp16Model(html, { location: 'x' })).toThrow(OnnxFormatError);
    expect(() => widenFp16Model(new Uint8Array(), { location: 'x' })).toThrow(/has no graph/);
    expect(() => widenFp16Model(files.unet, { location: 'x', maxPieceBytes: 6 })).toThrow(/multiple of 4/);
  });
});

/** A float16 tensor's values as numbers, whether ORT hands back bits or a native Float16Array. */
function floats(tensor: ort.Tensor): Float32Array {
  if (tensor.type === 'float16' && tensor.data instanceof Uint16Array) return fromFloat16Bits(tensor.data);
  return Float32Array.from(tensor.data as ArrayLike<number>);
}

async function runWidenedAndOriginal(stage: ModelStageName, feeds16: Record<string, ort.Tensor>) {
  const original = await ort.InferenceSession.create(files[stage]);
  const widened = widenFp16Model(files[stage], { location: `${stage}.weights`, maxPieceBytes: 256 * 1024 });
  const wide = await ort.InferenceSession.create(widened.graph, { externalData: widened.externalData });
  const feeds32 = Object.fromEntries(
    Object.entries(feeds16).map(([name, tensor]) => [
      name,
      tensor.type === 'float16' ? new ort.Tensor('float32', floats(tensor), tensor.dims) : tensor,
    ]),
  );
  try {
    const [half, full] = [await original.run(feeds16), await wide.run(feeds32)];
    const [name] = original.outputNames;
    expect(full[name].type).toBe('float32');
    return { half: floats(half[name]), full: floats(full[name]) };
  } finally {
    await original.release();
    await wide.release();
  }
}

/** FP16 keeps 11 significant bits; every layer rounds again, so a few units of 2^-11 of the output's scale. */
function expectWithinFp16Rounding(half: Float32Array, full: Float32Array) {
  expect(full.length).toBe(half.length);
  const scale = half.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  let worst = 0;
  for (let i = 0; i < half.length; i++) worst = Math.max(worst, Math.abs(full[i] - half[i]));
  expect(worst).toBeLessThanOrEqual(8 * 2 ** -11 * Math.max(scale, 1));
  expect(new Set(full).size).toBeGreaterThan(10);
}

describe('the widened graphs on onnxruntime-node (CPU)', () => {
  const { sequenceLength, latentChannels, latentSize, hiddenSize, imageChannels, imageSize } = TINY_DIMS;
  const half = (values: Float32Array, dims: number[]) =>
    new ort.Tensor('float16', Uint16Array.from(values, float32ToFloat16Bits), dims);

  it('agree with the FP16 graphs within FP16 rounding, every stage', async () => {
    const ids = Int32Array.from({ length: sequenceLength }, (_, i) => [49406, 320, 1929, 49407][i] ?? 0);
    const text = await runWidenedAndOriginal('textEncoder', {
      input_ids: new ort.Tensor('int32', ids, [1, sequenceLength]),
    });
    expectWithinFp16Rounding(text.half, text.full);

    const latentDims = [1, latentChannels, latentSize, latentSize];
    const latent = new Prng(7).uniform(latentChannels * latentSize * latentSize, 2);
    const unet = await runWidenedAndOriginal('unet', {
      sample: half(latent, latentDims),
      timestep: half(Float32Array.of(999), [1]),
      encoder_hidden_states: half(text.half, [1, sequenceLength, hiddenSize]),
    });
    expectWithinFp16Rounding(unet.half, unet.full);

    const vae = await runWidenedAndOriginal('vaeDecoder', { latent_sample: half(latent, latentDims) });
    expectWithinFp16Rounding(vae.half, vae.full);

    const image = new Prng(9).uniform(imageChannels * imageSize * imageSize, 1);
    const encoder = await runWidenedAndOriginal('vaeEncoder', {
      sample: half(image, [1, imageChannels, imageSize, imageSize]),
    });
    expectWithinFp16Rounding(encoder.half, encoder.full);
  });
});
