/**
 * ORT's weight uploads, made as its WebGPU EP makes them (a staging buffer mapped at creation, then a
 * copy), go through queue.writeBuffer while a session is created (src/pipeline/runtime/bounded-uploads.ts)
 * and land where the copy would have put them; outside a creation, the real staging buffer is used again.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/browser.js';

let app: TestApp;
let page: Page;

beforeAll(async () => {
  app = await startTestApp();
  ({ page } = await app.openTestPage('/tests/pages/kernels.html'));
}, 60_000);

afterAll(() => app?.close());

describe('bounded uploads in Chromium (SwiftShader WebGPU)', () => {
  it('writes staged uploads with writeBuffer during a creation, to the same bytes, and restores the API after', async () => {
    const { stagedOnGpu, values, largeIntact } = await page.evaluate(() =>
      window.kernelTest.boundedUploads(),
    );
    expect(stagedOnGpu).toEqual([false, false, true]);
    expect(values).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(largeIntact).toBe(true);
  });
});
