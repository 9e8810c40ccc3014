// @module-tag scale
/**
 * The narrow stand-ins' VAE encoder (image to image): listed in the generated manifest with the IO the
 * pipeline expects, and it encodes a 512x512 picture into a varied [1, 4, 64, 64] latent on ORT's wasm EP.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { getModel, parseManifest } from '../src/pipeline/model/manifest';
import type { Manifest } from '../src/pipeline/model/manifest-types';
import {
  STANDIN_MANIFEST_NAME,
  STANDIN_MODELS_DIR,
  ensureStandinModels,
} from '../scripts/standin-models/index';

ort.env.wasm.numThreads = 1;

let manifest: Manifest;

beforeAll(async () => {
  await ensureStandinModels();
  const json = JSON.parse(await readFile(join(STANDIN_MODELS_DIR, STANDIN_MANIFEST_NAME), 'utf8')) as unknown;
  manifest = parseManifest(json);
}, 300_000);

describe('stand-in VAE encoder', () => {
  it.each(['standin-narrow-fp32', 'standin-narrow-fp16'])(
    '%s: float32 sample [1, 3, 512, 512] -> varied latent_sample [1, 4, 64, 64]',
    async (id) => {
      const model = getModel(manifest, id);
      const spec = model.stages.vaeEncoder;
      expect(spec).toBeDefined();
      if (!spec) return;
      expect(spec.inputs.sample).toEqual({ name: 'sample', type: 'float32' });
      expect(spec.outputs.latentSample).toEqual({ name: 'latent_sample', type: 'float32' });
      const bytes = await readFile(join(STANDIN_MODELS_DIR, model.baseUrl, spec.file.path));
      expect(bytes.length).toBe(spec.file.bytes);
      const session = await ort.InferenceSession.create(bytes, {
        freeDimensionOverrides: spec.session?.freeDimensionOverrides,
      });
      const { width, height } = model.image;
      const picture = Float32Array.from({ length: 3 * width * height }, (_, i) =>
        Math.sin(i * 0.001 + (i % width) * 0.05),
      );
      const result = await session.run({ sample: new ort.Tensor('float32', picture, [1, 3, height, width]) });
      const latent = result.latent_sample;
      expect(latent.dims).toEqual([1, 4, height / 8, width / 8]);
      const values = latent.data as Float32Array;
      expect(values.every(Number.isFinite)).toBe(true);
      const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
      const std = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
      expect(std).toBeGreaterThan(0.01);
      await session.release();
    },
    120_000,
  );
});
