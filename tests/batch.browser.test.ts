/**
 * `count`: one Generate makes images from seeds seed, seed + 1, ..., each its own `sd-image`, shown as a
 * grid, and each equal to the single image made with the same seed (bit for bit on wasm; within the
 * WebGPU tolerance of tests/pipeline.browser.test.ts on WebGPU). On wasm the element makes them in one
 * batched pass; on WebGPU (GPU-resident tensors) one after another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { startTestApp, type TestApp } from './support/browser.js';

const SLOW = 180_000;

let app: TestApp;

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
});

afterAll(() => app?.close());

interface MadeImage {
  seed: number;
  pixels: number[];
  /** The run's total time: the images of one batched pass share theirs. */
  totalMs: number;
}

interface BatchOutcome {
  provider: string;
  maxBatch: number;
  batch: MadeImage[];
  singles: MadeImage[];
  gridSeeds: string[];
}

/** Sets count="4" seed="7", makes the batch, then each seed's single image, all read back as RGBA. */
function makeBatchAndSingles(): Promise<BatchOutcome> {
  return (async () => {
    const el = document.querySelector('sd-turbo')!;
    const pixelsOf = (bitmap: ImageBitmap): number[] => {
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d')!;
      context.drawImage(bitmap, 0, 0);
      return Array.from(context.getImageData(0, 0, bitmap.width, bitmap.height).data);
    };
    el.prompt = 'a lighthouse at dawn';
    el.setAttribute('count', '4');
    el.setAttribute('seed', '7');
    const loaded = await el.load();
    const batch: MadeImage[] = [];
    el.addEventListener('sd-image', (event) =>
      batch.push({
        seed: event.detail.seed,
        pixels: pixelsOf(event.detail.bitmap),
        totalMs: event.detail.timings.totalMs,
      }),
    );
    const first = await el.generate();
    await el.updateComplete;
    const gridSeeds = Array.from(
      el.shadowRoot!.querySelectorAll<HTMLElement>('[part~="batch-image"]'),
      (button) => button.dataset.seed ?? '',
    );
    const made = batch.splice(0);
    if (first.seed !== made[0]?.seed)
      throw new Error('generate() resolved with another image than the first');
    const singles: MadeImage[] = [];
    for (const seed of [7, 8, 9, 10]) {
      const single = await el.generate({ seed, count: 1 });
      singles.push({ seed: single.seed, pixels: pixelsOf(single.bitmap), totalMs: single.timings.totalMs });
    }
    return { provider: loaded.provider.provider, maxBatch: loaded.maxBatch, batch: made, singles, gridSeeds };
  })();
}

function pixelDifference(a: number[], b: number[]): { max: number; differingShare: number } {
  let max = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const delta = Math.abs(a[i] - b[i]);
    max = Math.max(max, delta);
    if (delta > 0) differing++;
  }
  return { max, differingShare: differing / a.length };
}

describe('<sd-turbo count="4" seed="7">', () => {
  for (const provider of ['wasm', 'webgpu'] as const) {
    it(
      `makes four sd-image events with seeds 7 to 10, each the single image of its seed (${provider})`,
      // WebGPU's first image of a page costs 20 s or more here: that variant runs in test:scale.
      { tags: provider === 'webgpu' ? ['scale'] : [], timeout: SLOW },
      async () => {
        const { context, page, logs } = await app.open(`/?model=tiny-fp32&provider=${provider}`);
        try {
          await page.waitForFunction(() => customElements.get('sd-turbo') !== undefined);
          const outcome = await page.evaluate(makeBatchAndSingles);
          expect(outcome.provider, logs.join('\n')).toBe(provider);
          // wasm: one batched UNet and VAE pass (the heap holds 8 tiny images); WebGPU: one after another.
          const totals = new Set(outcome.batch.map((image) => image.totalMs));
          if (provider === 'wasm') {
            expect(outcome.maxBatch).toBe(8);
            expect(totals.size).toBe(1);
          } else {
            expect(outcome.maxBatch).toBe(1);
            expect(totals.size).toBe(4);
          }
          expect(outcome.batch.map((image) => image.seed)).toEqual([7, 8, 9, 10]);
          expect(outcome.gridSeeds).toEqual(['7', '8', '9', '10']);
          for (const [index, image] of outcome.batch.entries()) {
            const single = outcome.singles[index];
            expect(single.seed).toBe(image.seed);
            expect(image.pixels.length).toBe(64 * 64 * 4);
            if (provider === 'wasm') expect(image.pixels).toEqual(single.pixels);
            else {
              const diff = pixelDifference(image.pixels, single.pixels);
              expect(diff.max).toBeLessThanOrEqual(2);
              expect(diff.differingShare).toBeLessThan(0.02);
            }
          }
          // Four seeds, four different pictures.
          const distinct = new Set(outcome.batch.map((image) => image.pixels.join(',')));
          expect(distinct.size).toBe(4);
        } finally {
          await context.close();
        }
      },
    );
  }
});
