import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { startTestApp, type TestApp } from './support/browser.js';

let app: TestApp;
let page: Page;
let logs: string[];

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
  ({ page, logs } = await app.openTestPage('/tests/pages/client.html'));
});

/** Runs `action` and lists the model files the page (its workers included) requested meanwhile. */
async function modelRequestsDuring<T>(action: () => Promise<T>): Promise<[T, string[]]> {
  const requests: string[] = [];
  const record = (request: Request) => {
    if (request.url().includes('/models/')) requests.push(request.url());
  };
  page.on('request', record);
  try {
    return [await action(), requests];
  } finally {
    page.off('request', record);
  }
}

afterAll(() => app?.close());

describe('GeneratorClient: worker, IndexedDB store and pipeline together', () => {
  it('downloads into IndexedDB, loads on WebGPU and generates off the main thread', async () => {
    const [load, modelRequests] = await modelRequestsDuring(() =>
      page.evaluate(() => window.clientTest.load('tiny-fp32')),
    );
    expect(load.ok, JSON.stringify(load) + logs.join('\n')).toBe(true);
    // The worker's Range requests are seen: the later "no second download" check is not vacuous.
    expect(modelRequests.length).toBeGreaterThanOrEqual(3);
    if (!load.ok) return;
    expect(load.value.loaded.provider.provider).toBe('webgpu');
    expect(load.value.loaded.warmupMs).toBeGreaterThan(0);
    expect(load.value.loaded.loadMs).toBeGreaterThan(load.value.loaded.warmupMs);
    expect(load.value.phases).toEqual(expect.arrayContaining(['downloading', 'loading']));
    const stored = await page.evaluate(() => window.clientTest.stored());
    expect(stored.ok && stored.value.find((m) => m.modelId === 'tiny-fp32')).toMatchObject({
      complete: true,
    });
    const first = await page.evaluate(() => window.clientTest.generate('a photo of a cat', 42));
    const second = await page.evaluate(() => window.clientTest.generate('a photo of a cat', 42));
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(first.value.checksum).toBe(second.value.checksum);
    // The warm-up image at load already paid for ORT's first-run buffers: the user's first image makes none.
    expect(first.value).toMatchObject({
      width: 64,
      height: 64,
      seed: 42,
      provider: 'webgpu',
      readbacks: 1,
      gpuBuffersCreated: 0,
    });
  });

  it('serves two requests at once in turn, and cancels a running one', async () => {
    const both = await page.evaluate(() => window.clientTest.generateTwoAtOnce());
    expect(both.ok && both.value[0] !== both.value[1]).toBe(true);
    const cancelled = await page.evaluate(() => window.clientTest.cancelGenerate());
    expect(cancelled).toMatchObject({ ok: false, name: 'AbortError' });
  });

  it('counts tokens for the prompt box', async () => {
    const count = await page.evaluate(() => window.clientTest.tokenize('a photo of a cat'));
    expect(count).toMatchObject({ ok: true, value: { tokenCount: 5, maxTokens: 75, truncated: false } });
  });

  it('does image to image in the worker from a bitmap, a PNG Blob or ImageData', async () => {
    const result = await page.evaluate(() => window.clientTest.generateFromPicture('a photo of a cat', 42));
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (!result.ok) return;
    const { fromBitmap, fromBlob, fromImageData, callersBitmapWidth, notAPicture } = result.value;
    expect(fromBitmap.timings.unetMs).toHaveLength(1);
    // The first image to image after load: the warm-up ran the VAE encoder too, so it creates no GPU buffer.
    expect(fromBitmap).toMatchObject({ strength: 0.5, steps: 2, readbacks: 1, gpuBuffersCreated: 0 });
    // The same pixels however they travel (PNG is lossless).
    expect(fromBlob.checksum).toBe(fromBitmap.checksum);
    expect(fromImageData.checksum).toBe(fromBitmap.checksum);
    // The client transfers a copy: the caller's bitmap stays open.
    expect(callersBitmapWidth).toBe(64);
    expect(notAPicture).toMatchObject({ ok: false, code: 'invalid-input' });
    const fromText = await page.evaluate(() => window.clientTest.generate('a photo of a cat', 42));
    expect(fromText.ok && fromText.value.checksum).not.toBe(fromBitmap.checksum);
  });

  it('reports each stage as it starts: text encoder, UNet step k of N in order, VAE decoder', async () => {
    const four = await page.evaluate(() =>
      window.clientTest.generateWithProgress({ prompt: 'a photo of a cat', seed: 3, steps: 4 }),
    );
    expect(four.ok, JSON.stringify(four)).toBe(true);
    if (!four.ok) return;
    const common = { modelId: 'tiny-fp32', phase: 'generating', steps: 4 };
    expect(four.value.progress).toEqual([
      { ...common, stage: 'text-encoder', step: 0 },
      { ...common, stage: 'unet', step: 1 },
      { ...common, stage: 'unet', step: 2 },
      { ...common, stage: 'unet', step: 3 },
      { ...common, stage: 'unet', step: 4 },
      { ...common, stage: 'vae-decoder', step: 4 },
    ]);
    expect(four.value.image.timings.unetMs).toHaveLength(4);
    // Image to image at 4 steps x 0.5: the VAE encoder, then the 2 UNet steps that run.
    const fromPicture = await page.evaluate(() =>
      window.clientTest.generateWithProgress({ prompt: 'a cat', seed: 3, steps: 4, strength: 0.5 }),
    );
    expect(
      fromPicture.ok && fromPicture.value.progress.map(({ stage, step, steps }) => [stage, step, steps]),
    ).toEqual([
      ['text-encoder', 0, 2],
      ['vae-encoder', 0, 2],
      ['unet', 1, 2],
      ['unet', 2, 2],
      ['vae-decoder', 2, 2],
    ]);
  });

  it(
    'recovers from a lost GPU device by loading again in a fresh worker',
    { tags: ['scale'], timeout: 240_000 },
    async () => {
      // test:scale runs this without the first test: the model is downloaded and loaded here if it is not yet.
      expect((await page.evaluate(() => window.clientTest.load('tiny-fp32'))).ok).toBe(true);
      const lose = await page.evaluate(() => window.clientTest.loseDevice());
      expect(lose.ok).toBe(true);
      const failed = await page.evaluate(() => window.clientTest.generate('x', 1));
      expect(failed).toMatchObject({ ok: false, code: 'device-lost' });
      expect(failed.ok === false && failed.message).toContain('GPU device was lost');
      const [reload, modelRequests] = await modelRequestsDuring(() =>
        page.evaluate(() => window.clientTest.load('tiny-fp32', 'wasm')),
      );
      expect(reload.ok).toBe(true);
      // The weights come from IndexedDB: a fresh worker and device, no second download.
      expect(modelRequests).toEqual([]);
      const after = await page.evaluate(() => window.clientTest.generate('a photo of a cat', 42));
      expect(after.ok).toBe(true);
    },
  );

  it(
    'makes a warm start ready before the digest, then refuses the model whose stored byte changed',
    { timeout: 240_000 },
    async () => {
      expect((await page.evaluate(() => window.clientTest.download('tiny-fp32'))).ok).toBe(true);
      const result = await page.evaluate(() =>
        window.clientTest.warmStartOfCorruptedModel('tiny-fp32', 'unet/model.onnx'),
      );
      expect(result.ok, JSON.stringify(result) + logs.join('\n')).toBe(true);
      if (!result.ok) return;
      // Ready first: the sessions were made of the changed bytes, and the digest checked beside them failed.
      expect(result.value.events).toEqual(['ready', 'corrupt']);
      expect(result.value.notice).toMatchObject({ modelId: 'tiny-fp32', code: 'corrupt' });
      expect(result.value.notice.message).toContain(
        'unet/model.onnx of model tiny-fp32 is corrupt in storage',
      );
      expect(result.value.notice.message).toContain('Images made with this model since it was loaded');
      // The worker dropped the model, and the mark in the store refuses the next load.
      expect(result.value.image).toEqual({ ok: false, code: 'not-loaded' });
      expect(result.value.nextLoad).toMatchObject({ ok: false, code: 'corrupt' });
      expect(result.value.nextLoad.message).toContain('Delete it and download it again');

      // Deleting and downloading again fetches the file anew: the load is ready and stays so.
      expect((await page.evaluate(() => window.clientTest.deleteModel('tiny-fp32'))).ok).toBe(true);
      const [reload, modelRequests] = await modelRequestsDuring(() =>
        page.evaluate(() => window.clientTest.load('tiny-fp32', 'wasm')),
      );
      expect(reload.ok, JSON.stringify(reload)).toBe(true);
      expect(modelRequests.some((url) => url.includes('unet/model.onnx'))).toBe(true);
      const after = await page.evaluate(() => window.clientTest.generate('a photo of a cat', 42));
      expect(after.ok).toBe(true);
    },
  );

  it('deletes a stored model', async () => {
    expect((await page.evaluate(() => window.clientTest.deleteModel('tiny-fp32'))).ok).toBe(true);
    const stored = await page.evaluate(() => window.clientTest.stored());
    expect(stored.ok && stored.value.find((m) => m.modelId === 'tiny-fp32')).toMatchObject({
      complete: false,
      bytesStored: 0,
    });
  });
});
