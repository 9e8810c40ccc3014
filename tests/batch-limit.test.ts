import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freeBatchModelEntry, wasmBatchLimit } from '../src/pipeline/engine/index';
import { parseManifest, type ModelEntry } from '../src/pipeline/model/index';

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const manifest = parseManifest(JSON.parse(readFileSync('model-manifest.json', 'utf8')));
const model = (id: string): ModelEntry => manifest.models.find((entry) => entry.id === id)!;

function withWasm(entry: ModelEntry, wasm: ModelEntry['requires']['wasm']): ModelEntry {
  return { ...entry, requires: { ...entry.requires, wasm } };
}

describe('wasmBatchLimit', () => {
  it('gives the tiny model all 8 images: 64 MiB and 2 MiB each fit anywhere', () => {
    expect(wasmBatchLimit(model('tiny-fp32'))).toBe(8);
    expect(wasmBatchLimit(model('tiny-fp32'), 1 * GIB)).toBe(8);
  });

  it('counts what the heap holds after the model: (4 GiB - 3 GiB) / 288 MiB is 3 more images', () => {
    const entry = withWasm(model('tiny-fp32'), { heapBytes: 3 * GIB, heapBytesPerImage: 288 * MIB });
    expect(wasmBatchLimit(entry)).toBe(4);
  });

  it("stops at the device's reported memory when it is below a wasm heap's 4 GiB", () => {
    const entry = withWasm(model('tiny-fp32'), { heapBytes: 512 * MIB, heapBytesPerImage: 256 * MIB });
    expect(wasmBatchLimit(entry)).toBe(8);
    expect(wasmBatchLimit(entry, 1 * GIB)).toBe(3);
    expect(wasmBatchLimit(entry, 512 * MIB)).toBe(1);
  });

  it('is 1 without a measured per-image need, without wasm, or for static graphs', () => {
    expect(wasmBatchLimit(withWasm(model('tiny-fp32'), { heapBytes: 64 * MIB }))).toBe(1);
    expect(wasmBatchLimit(model('sd-turbo'))).toBe(1);
    expect(wasmBatchLimit(model('tiny-webnn-fp32'))).toBe(1);
  });
});

describe('freeBatchModelEntry', () => {
  it("drops only the UNet's and VAE decoder's batch override, leaving every other dimension fixed", () => {
    const free = freeBatchModelEntry(model('tiny-fp32'));
    const overrides = (stage: keyof ModelEntry['stages']) =>
      free.stages[stage]?.session?.freeDimensionOverrides;
    expect(overrides('unet')).toEqual({ num_channels: 4, height: 8, width: 8, sequence_length: 77 });
    expect(overrides('vaeDecoder')).toEqual({ num_channels_latent: 4, height_latent: 8, width_latent: 8 });
    expect(overrides('textEncoder')).toEqual({ batch_size: 1 });
    expect(model('tiny-fp32').stages.unet.session?.freeDimensionOverrides?.batch_size).toBe(1);
  });
});
