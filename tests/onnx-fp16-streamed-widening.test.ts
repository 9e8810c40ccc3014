/**
 * widenFp16Chunks must give what widenFp16Model gives for the same file, whatever the chunk boundaries
 * (a half cut between two chunks, a field header cut, a tensor spanning many chunks), without keeping any
 * chunk after the next one is asked for (the store's hasher may take a chunk's buffer then), and it must
 * read the source to its end so that a digest checked there is checked before the widened form is used.
 */
import { createRequire } from 'node:module';
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  OnnxFormatError,
  WidenedTensorTooLargeError,
  widenFp16Model,
  type WidenedModel,
} from '../src/pipeline/model/onnx/onnx-fp16-widening';
import { widenFp16Chunks } from '../src/pipeline/model/onnx/onnx-fp16-streamed-widening';
import type { ModelStageName } from '../src/pipeline/model/manifest-types';
import { FP16_STAGES, tinyFp16Files } from './support/tiny-fp16-files';
import { TINY_DIMS } from '../scripts/tiny-models/index';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as { onnx: typeof OnnxNamespace };
const { FLOAT16 } = onnx.TensorProto.DataType;
const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

const STAGES = FP16_STAGES;
let files: Record<ModelStageName, Uint8Array>;

beforeAll(async () => {
  files = await tinyFp16Files();
});

/**
 * `bytes` in chunks of `size`, each a fresh copy that is overwritten as soon as the next is asked for:
 * a widener that kept a chunk would widen garbage. `atEnd` runs after the last chunk has been consumed.
 */
async function* chunksOf(bytes: Uint8Array, size: number, atEnd: () => void = () => {}) {
  for (let start = 0; start < bytes.byteLength; start += size) {
    const chunk = bytes.slice(start, start + size);
    yield chunk;
    chunk.fill(0xff);
  }
  atEnd();
}

function externalEntries(tensor: OnnxNamespace.ITensorProto): Record<string, string> {
  return Object.fromEntries((tensor.externalData ?? []).map((entry) => [entry.key, entry.value]));
}

/** Each initializer's FP32 bytes, wherever they lie (inline or in a piece), by name. */
function initializerBytes(widened: WidenedModel): Map<string, { dims: string; type: number; bytes: Buffer }> {
  const graph = onnx.ModelProto.decode(widened.graph).graph!;
  return new Map(
    (graph.initializer ?? []).map((tensor) => {
      let bytes: Buffer = Buffer.from(tensor.rawData ?? new Uint8Array());
      if (tensor.dataLocation === EXTERNAL) {
        const { location, offset, length } = externalEntries(tensor);
        const piece = widened.externalData.find((entry) => entry.path === location);
        if (!piece) throw new Error(`no piece named ${location}`);
        bytes = Buffer.from(piece.data.buffer, piece.data.byteOffset + Number(offset), Number(length));
      }
      const key = String(tensor.name);
      return [key, { dims: (tensor.dims ?? []).join('x'), type: tensor.dataType ?? 0, bytes }];
    }),
  );
}

describe('widenFp16Chunks on the tiny FP16 graphs', () => {
  it('gives the same FP32 graph and weights as widenFp16Model, for any chunk boundaries', async () => {
    for (const stage of STAGES) {
      const expected = widenFp16Model(files[stage], {
        location: `${stage}.weights`,
        maxPieceBytes: 64 * 1024,
      });
      const want = initializerBytes(expected);
      // 4097: odd, so halves and field headers are cut between chunks; 1 MiB: tensors inside one chunk.
      for (const size of [4097, 1024 ** 2]) {
        const streamed = await widenFp16Chunks(chunksOf(files[stage], size), {
          location: `${stage}.weights`,
          maxPieceBytes: 64 * 1024,
        });
        const got = initializerBytes(streamed);
        expect([...got.keys()]).toEqual([...want.keys()]);
        for (const [name, tensor] of want) {
          const actual = got.get(name)!;
          expect(actual.dims, name).toBe(tensor.dims);
          expect(actual.type, name).toBe(tensor.type);
          expect(actual.bytes.equals(tensor.bytes), `${stage} ${name} in chunks of ${size}`).toBe(true);
        }
        const { graph: streamedGraph } = onnx.ModelProto.decode(streamed.graph);
        const { graph: expectedGraph } = onnx.ModelProto.decode(expected.graph);
        expect(JSON.stringify(streamedGraph!.node)).toBe(JSON.stringify(expectedGraph!.node));
        expect(JSON.stringify(streamedGraph!.input)).toBe(JSON.stringify(expectedGraph!.input));
        expect(JSON.stringify(streamedGraph!.output)).toBe(JSON.stringify(expectedGraph!.output));
        expect(streamed.externalBytes).toBe(expected.externalBytes);
        expect(streamed.tensorsWidened).toBe(expected.tensorsWidened);
        expect(streamed.typesWidened).toBe(expected.typesWidened);
        expect(streamed.largestTensorBytes).toBe(expected.largestTensorBytes);
        const initializers = onnx.ModelProto.decode(streamed.graph).graph!.initializer ?? [];
        expect(initializers.map((tensor) => tensor.dataType)).not.toContain(FLOAT16);
      }
    }
  });

  it('fills each piece to at most maxPieceBytes unless one tensor alone is larger, each exactly the bytes of its tensors', async () => {
    const maxPieceBytes = 4096;
    const widened = await widenFp16Chunks(chunksOf(files.textEncoder, 65537), {
      location: 'te',
      maxPieceBytes,
    });
    const graph = onnx.ModelProto.decode(widened.graph).graph!;
    const lengths = new Map<string, number[]>();
    for (const tensor of graph.initializer ?? []) {
      if (tensor.dataLocation !== EXTERNAL) continue;
      const { location, length } = externalEntries(tensor);
      lengths.set(location, [...(lengths.get(location) ?? []), Number(length)]);
    }
    expect(widened.externalData.length).toBeGreaterThan(3);
    expect(widened.externalData.map((piece) => piece.path)).toEqual(
      widened.externalData.map((_, index) => `te.${index}`),
    );
    for (const piece of widened.externalData) {
      const inPiece = lengths.get(piece.path) ?? [];
      expect(inPiece.reduce((sum, length) => sum + length, 0)).toBe(piece.data.byteLength);
      if (inPiece.length > 1) expect(piece.data.byteLength).toBeLessThanOrEqual(maxPieceBytes);
    }
    expect(widened.largestTensorBytes).toBe(TINY_DIMS.vocabSize * TINY_DIMS.hiddenSize * 4);
  });

  it('reads the source to its end, so that its digest check (or its error) comes first', async () => {
    let ended = false;
    await widenFp16Chunks(
      chunksOf(files.unet, 32768, () => (ended = true)),
      { location: 'u' },
    );
    expect(ended).toBe(true);
    const corrupt = chunksOf(files.unet, 32768, () => {
      throw new Error('unet.onnx is corrupt in storage');
    });
    await expect(widenFp16Chunks(corrupt, { location: 'u' })).rejects.toThrow(/corrupt in storage/);
  });

  it('refuses a tensor too large for the device, a cut file and bytes that are not ONNX', async () => {
    const limit = 4 * 1024 ** 2;
    let closed = false;
    async function* closing() {
      try {
        yield* chunksOf(files.textEncoder, 8191);
      } finally {
        closed = true;
      }
    }
    await expect(widenFp16Chunks(closing(), { location: 'te', maxTensorBytes: limit })).rejects.toThrow(
      WidenedTensorTooLargeError,
    );
    // Stopped early, the source is closed: the store's hasher ends with it.
    expect(closed).toBe(true);
    const cut = files.unet.subarray(0, Math.floor(files.unet.byteLength / 2));
    await expect(widenFp16Chunks(chunksOf(cut, 4096), { location: 'u' })).rejects.toThrow(OnnxFormatError);
    const html = new TextEncoder().encode('<!doctype html><html><body>Not here</body></html>');
    await expect(widenFp16Chunks(chunksOf(html, 7), { location: 'x' })).rejects.toThrow(OnnxFormatError);
    await expect(widenFp16Chunks(chunksOf(new Uint8Array(), 7), { location: 'x' })).rejects.toThrow(
      /has no graph/,
    );
  });
});
