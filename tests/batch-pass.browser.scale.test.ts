// @module-tag scale
/**
 * The batched path: tiny-fp32 loaded for a batch of 4 runs the UNet and VAE decoder once for seeds
 * 7 to 10, and each image equals the single image of its seed (bit for bit on wasm; within the WebGPU
 * tolerance of tests/pipeline.browser.test.ts on WebGPU with CPU-resident tensors).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { startTestApp, type TestApp } from './support/browser.js';

let app: TestApp;

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
});

afterAll(() => app?.close());

describe('a batch in one pass', () => {
  for (const provider of ['wasm', 'webgpu'] as const) {
    it(`makes the single image of each seed (${provider})`, { timeout: 420_000 }, async () => {
      const { context, page, logs } = await app.openTestPage('/tests/pages/batch.html');
      try {
        const result = await page.evaluate(
          (provider) => window.batchTest.compare('tiny-fp32', provider, 'a lighthouse', [7, 8, 9, 10]),
          provider,
        );
        expect(result.ok, `${result.message}\n${logs.join('\n')}`).toBe(true);
        const value = result.value!;
        expect(value.provider).toBe(provider);
        expect(value.batchSize).toBe(4);
        expect(value.seeds).toEqual([7, 8, 9, 10]);
        expect(value.mismatch).toBe('This pipeline was loaded for batches of 4, got 1 seeds.');
        for (const [index, pixels] of value.batch.entries()) {
          expect(pixels.length).toBe(64 * 64 * 4);
          if (provider === 'wasm') {
            expect(pixels).toEqual(value.singles[index]);
            continue;
          }
          let max = 0;
          let differing = 0;
          pixels.forEach((v, i) => {
            const delta = Math.abs(v - value.singles[index][i]);
            max = Math.max(max, delta);
            if (delta > 0) differing++;
          });
          expect(max).toBeLessThanOrEqual(2);
          expect(differing / pixels.length).toBeLessThan(0.02);
        }
        expect(new Set(value.batch.map((pixels) => pixels.join(','))).size).toBe(4);
      } finally {
        await context.close();
      }
    });
  }
});
