/**
 * externalizeInitializers must give ORT the same model in a different shape: every large initializer's
 * bytes taken from the original file at the offset it names, small ones inline, outputs bit-identical.
 * Runs the tiny models on onnxruntime-web's wasm EP in Node and decodes the rewritten graph with onnx-proto.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MIN_EXTERNAL_BYTES,
  OnnxFormatError,
  externalizeInitializers,
} from '../src/pipeline/model/onnx/onnx-external-data';
import { STAGE_PATHS, TINY_DIMS, TINY_MODELS_DIR, ensureTinyModels } from '../scripts/tiny-models/index';
import { Prng } from '../scripts/onnx-builder/prng';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as { onnx: typeof OnnxNamespace };

ort.env.wasm.numThreads = 1;

const LOCATION = 'weights.bin';
let files: Record<'textEncoder' | 'unet' | 'vaeDecoder', Uint8Array>;

beforeAll(async () => {
  await ensureTinyModels();
  const read = async (path: string) =>
    new Uint8Array(await readFile(join(TINY_MODELS_DIR, 'tiny-fp32', path)));
  files = {
    textEncoder: await read(STAGE_PATHS.textEncoder),
    unet: await read(STAGE_PATHS.unet),
    vaeDecoder: await read(STAGE_PATHS.vaeDecoder),
  };
});

function externalEntries(tensor: OnnxNamespace.ITensorProto): Record<string, string> {
  return Object.fromEntries((tensor.externalData ?? []).map((entry) => [entry.key, entry.value]));
}

describe('externalizeInitializers', () => {
  it('points every large initializer at its own raw bytes in the untouched file', () => {
    const original = onnx.ModelProto.decode(files.unet);
    const result = externalizeInitializers(files.unet, LOCATION);
    const rewritten = onnx.ModelProto.decode(result.graph);

    expect(result.externalData.data).toBe(files.unet);
    expect(result.externalData.path).toBe(LOCATION);
    expect(result.graph.byteLength).toBeLessThan(files.unet.byteLength / 10);
    expect(rewritten.graph?.node).toEqual(original.graph?.node);
    expect(rewritten.graph?.input).toEqual(original.graph?.input);
    expect(rewritten.opsetImport).toEqual(original.opsetImport);

    const before = original.graph?.initializer ?? [];
    const after = rewritten.graph?.initializer ?? [];
    expect(after.map((t) => t.name)).toEqual(before.map((t) => t.name));
    let moved = 0;
    let movedBytes = 0;
    for (const [index, tensor] of after.entries()) {
      const raw = before[index].rawData ?? new Uint8Array();
      expect(tensor.dims).toEqual(before[index].dims);
      expect(tensor.dataType).toBe(before[index].dataType);
      if (raw.byteLength < DEFAULT_MIN_EXTERNAL_BYTES) {
        expect(tensor.dataLocation ?? 0).toBe(0);
        expect(tensor.rawData).toEqual(before[index].rawData);
        continue;
      }
      moved++;
      movedBytes += raw.byteLength;
      expect(tensor.dataLocation).toBe(onnx.TensorProto.DataLocation.EXTERNAL);
      expect(tensor.rawData?.byteLength ?? 0).toBe(0);
      const { location, offset, length } = externalEntries(tensor);
      expect(location).toBe(LOCATION);
      expect(Number(length)).toBe(raw.byteLength);
      const pointed = files.unet.subarray(Number(offset), Number(offset) + Number(length));
      expect(Buffer.from(pointed).equals(Buffer.from(raw))).toBe(true);
    }
    expect(moved).toBeGreaterThan(5);
    expect(result.tensorsMoved).toBe(moved);
    expect(result.bytesMoved).toBe(movedBytes);
  });

  it('keeps a model whose initializers are all small byte for byte', () => {
    const result = externalizeInitializers(files.vaeDecoder, LOCATION, Number.MAX_SAFE_INTEGER);
    expect(result.tensorsMoved).toBe(0);
    expect(Buffer.from(result.graph).equals(Buffer.from(files.vaeDecoder))).toBe(true);
  });

  it('refuses bytes that are not an ONNX model', () => {
    const html = new TextEncoder().encode('<!doctype html><html><body>Not here</body></html>');
    expect(() => externalizeInitializers(html, LOCATION)).toThrow(OnnxFormatError);
    expect(() => externalizeInitializers(files.unet.subarray(0, 5000), LOCATION)).toThrow(
      /Not a valid ONNX model/,
    );
    expect(() => externalizeInitializers(new Uint8Array(), LOCATION)).toThrow(/has no graph/);
  });

  it('gives bit-identical outputs on the wasm EP for every stage', async () => {
    const { sequenceLength, latentChannels, latentSize } = TINY_DIMS;
    const latent = new Prng(7).uniform(latentChannels * latentSize * latentSize, 2);
    const ids = Int32Array.from({ length: sequenceLength }, (_, i) => [49406, 320, 1929, 49407][i] ?? 0);
    const hidden = await runBoth(files.textEncoder, {
      input_ids: new ort.Tensor('int32', ids, [1, sequenceLength]),
    });
    const hiddenState = hidden.embedded.last_hidden_state;
    const unet = await runBoth(files.unet, {
      sample: new ort.Tensor('float32', latent, [1, latentChannels, latentSize, latentSize]),
      timestep: new ort.Tensor('int64', BigInt64Array.of(999n), [1]),
      encoder_hidden_states: hiddenState,
    });
    const vae = await runBoth(files.vaeDecoder, {
      latent_sample: new ort.Tensor('float32', latent, [1, latentChannels, latentSize, latentSize]),
    });
    for (const pair of [hidden, unet, vae]) {
      const [name] = Object.keys(pair.embedded);
      expect(pair.external[name].data).toEqual(pair.embedded[name].data);
      expect(new Set(pair.external[name].data as Float32Array).size).toBeGreaterThan(10);
    }
  });
});

async function runBoth(model: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const embeddedSession = await ort.InferenceSession.create(model);
  const { graph, externalData } = externalizeInitializers(model, LOCATION);
  const externalSession = await ort.InferenceSession.create(graph, { externalData: [externalData] });
  try {
    return { embedded: await embeddedSession.run(feeds), external: await externalSession.run(feeds) };
  } finally {
    await embeddedSession.release();
    await externalSession.release();
  }
}
