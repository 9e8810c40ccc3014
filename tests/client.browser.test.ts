import type { Browser, Page, Request } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { launchChromium, openPage, startDevServer } from './support/browser.js';

let server: ViteDevServer;
let browser: Browser;
let page: Page;
let logs: string[];

beforeAll(async () => {
  await ensureTinyModels();
  let url: string;
  ({ server, url } = await startDevServer());
  browser = await launchChromium({ webgpu: true });
  ({ page, logs } = await openPage(browser, `${url}/tests/pages/client.html`));
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
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

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

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
    expect(fromBitmap).toMatchObject({ strength: 0.5, steps: 2, readbacks: 1 });
    // The same pixels however they travel (PNG is lossless).
    expect(fromBlob.checksum).toBe(fromBitmap.checksum);
    expect(fromImageData.checksum).toBe(fromBitmap.checksum);
    // The client transfers a copy: the caller's bitmap stays open.
    expect(callersBitmapWidth).toBe(64);
    expect(notAPicture).toMatchObject({ ok: false, code: 'invalid-input' });
    const fromText = await page.evaluate(() => window.clientTest.generate('a photo of a cat', 42));
    expect(fromText.ok && fromText.value.checksum).not.toBe(fromBitmap.checksum);
  });

  it('recovers from a lost GPU device by loading again in a fresh worker', async () => {
    const lose = await page.evaluate(() => window.clientTest.loseDevice());
    expect(lose.ok).toBe(true);
    const failed = await page.evaluate(() => window.clientTest.generate('x', 1));
    expect(failed).toMatchObject({ ok: false, code: 'device-lost' });
    expect(failed.ok === false && failed.message).toContain('GPU device was lost');
    const [reload, modelRequests] = await modelRequestsDuring(() =>
      page.evaluate(() => window.clientTest.load('tiny-fp32')),
    );
    expect(reload.ok).toBe(true);
    // The weights come from IndexedDB: a fresh worker and device, no second download.
    expect(modelRequests).toEqual([]);
    const after = await page.evaluate(() => window.clientTest.generate('a photo of a cat', 42));
    expect(after.ok).toBe(true);
  });

  it('deletes a stored model', async () => {
    expect((await page.evaluate(() => window.clientTest.deleteModel('tiny-fp32'))).ok).toBe(true);
    const stored = await page.evaluate(() => window.clientTest.stored());
    expect(stored.ok && stored.value.find((m) => m.modelId === 'tiny-fp32')).toMatchObject({
      complete: false,
      bytesStored: 0,
    });
  });
});
