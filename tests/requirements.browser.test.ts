/**
 * Consent and requirements in headless Chromium on SwiftShader (WebGPU without "shader-f16"): SD-Turbo is
 * offered widened to FP32, its memory stated; a manifest that gives it no FP32 form has it refused before
 * any request to its files, with the reasons shown and no Download button; nothing but Download, load()
 * or `autoload` starts a download; persistent storage is asked for from the page.
 */
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { startTestApp, testPageReady, type OpenedPage, type TestApp } from './support/browser.js';

const part = (name: string) => `sd-turbo [part~="${name}"]`;
/** Requests for model weights: the Hub (sd-turbo's baseUrl) or any stage file. */
const MODEL_FILE = /huggingface\.co|\/(text_encoder|unet|vae_decoder)\/model\.onnx/;

let app: TestApp;

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
});

afterAll(() => app?.close());

/**
 * A page whose context (workers included) records every request for model files from the start. With
 * `fp16Only`, the manifest it is served states no FP32 form for SD-Turbo: without shader-f16 nothing runs it.
 */
async function openCounting(
  path: string,
  { fp16Only = false } = {},
): Promise<OpenedPage & { modelRequests: string[] }> {
  const modelRequests: string[] = [];
  const opened = await app.open(path, {
    async prepare(context) {
      context.on('request', (request) => {
        if (MODEL_FILE.test(request.url())) modelRequests.push(request.url());
      });
      if (fp16Only) await context.route('**/model-manifest.json', serveWithoutFp32Form);
    },
  });
  return { ...opened, modelRequests };
}

async function serveWithoutFp32Form(route: Route): Promise<void> {
  const response = await route.fetch();
  const manifest = (await response.json()) as { models: { id: string; requires: { webgpu: object } }[] };
  const sdTurbo = manifest.models.find((model) => model.id === 'sd-turbo')!;
  delete (sdTurbo.requires.webgpu as { fp32Widened?: unknown }).fp32Widened;
  await route.fulfill({ response, json: manifest });
}

async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** The element's load(), with the error's code (an Error loses it on its way out of page.evaluate). */
function elementLoad(page: Page): Promise<{ ok: boolean; code?: string; message?: string }> {
  return page.evaluate(() =>
    document
      .querySelector('sd-turbo')!
      .load()
      .then(
        () => ({ ok: true }),
        (error: Error & { code?: string }) => ({ ok: false, code: error.code, message: error.message }),
      ),
  );
}

function focusedPart(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const active = document.querySelector('sd-turbo')?.shadowRoot?.activeElement;
    return active ? (active.getAttribute('part') ?? active.id) : null;
  });
}

describe('SD-Turbo on a device without shader-f16', () => {
  it('the app offers it widened to FP32, saying so with its memory, and requests none of its files', async () => {
    const { context, page, logs, modelRequests } = await openCounting('/');
    try {
      await page.locator(part('download-button')).waitFor({ timeout: 30_000 });
      const note = await textOf(page, part('precision-note'));
      expect(note, logs.join('\n')).toContain('FP32 on this GPU: twice the memory.');
      expect(note).toContain('the FP16 weights (the same download) are widened to FP32 as they load');
      expect(await textOf(page, part('first-run'))).toContain('text_encoder/model.onnx');
      await page.waitForTimeout(500);
      expect(modelRequests).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('SD-Turbo with no FP32 form on a device without shader-f16', () => {
  it('the app says why it cannot run, offers no download, and requests none of its files', async () => {
    const { context, page, logs, modelRequests } = await openCounting('/', { fp16Only: true });
    try {
      const adapter = await page.evaluate(async () => {
        const gpu = await navigator.gpu.requestAdapter();
        return { found: gpu !== null, shaderF16: gpu?.features.has('shader-f16') };
      });
      // The premise: SwiftShader gives WebGPU, without shader-f16.
      expect(adapter).toEqual({ found: true, shaderF16: false });
      await page.locator(part('unsupported')).waitFor({ timeout: 30_000 });
      const panel = await textOf(page, part('first-run'));
      expect(panel, logs.join('\n')).toContain('This device cannot run SD-Turbo (FP16 weights, 512x512)');
      expect(panel).toContain(
        'WebGPU: The GPU adapter (google swiftshader) lacks the WebGPU feature "shader-f16"',
      );
      expect(panel).toContain(
        'wasm (CPU): SD-Turbo (FP16 weights, 512x512) does not fit in wasm (CPU) memory',
      );
      expect(await textOf(page, part('requirement-advice'))).toBe(
        'Use a GPU and browser with "shader-f16": Chrome or Edge 121+ on most GPUs made since 2020. Or choose a smaller model.',
      );
      expect(await page.locator(part('download-button')).count()).toBe(0);
      expect(await page.locator(part('runnable-model-button')).allTextContents()).toEqual([
        expect.stringContaining('Use Tiny test model (FP32'),
        expect.stringContaining('Use Tiny test model (FP16'),
        expect.stringContaining('Use Tiny test model (mixed IO'),
        expect.stringContaining("Use Tiny test model (microsoft/sd-turbo-webnn's IO in FP32"),
        // Widened to FP32: it keeps its FP32 form in this manifest.
        expect.stringContaining('Use SD-Turbo for WebNN'),
      ]);

      await page.locator(part('prompt')).press('Enter');
      expect(await focusedPart(page)).toBe('prompt');
      // The benchmark has its own page, with the same element.
      await page.goto(`${app.origin}/bench.html`);
      await page.locator(part('unsupported')).waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Run benchmark' }).click();
      await expect.poll(() => textOf(page, '#benchmark-status')).toContain('Benchmark stopped');
      expect(await textOf(page, '#benchmark-status')).toContain('cannot run on this device');

      const load = await elementLoad(page);
      expect(load).toMatchObject({ ok: false, code: 'no-shader-f16' });
      expect(load.message).toContain('does not fit in wasm (CPU) memory');
      expect(modelRequests).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('an embedding page with autoload is refused too: sd-error carries the code, nothing is fetched', async () => {
    const { context, page, logs, modelRequests } = await openCounting('/tests/pages/embed-sd-turbo.html', {
      fp16Only: true,
    });
    try {
      await page.waitForFunction(() => window.sdErrors.length > 0, undefined, { timeout: 30_000 });
      expect(await page.evaluate(() => window.sdErrors), logs.join('\n')).toEqual(['no-shader-f16']);
      expect(await textOf(page, part('unsupported'))).toContain('lacks the WebGPU feature "shader-f16"');
      expect(await page.locator(part('download-button')).count()).toBe(0);
      // The panel says it all; no second, generic error panel.
      expect(await page.locator(part('error')).count()).toBe(0);
      expect(await elementLoad(page)).toMatchObject({ ok: false, code: 'no-shader-f16' });
      expect(modelRequests).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('GeneratorClient refuses load() and download() before any request, and reports the check', async () => {
    const { context, page, modelRequests } = await openCounting('/tests/pages/client.html', {
      fp16Only: true,
    });
    try {
      await testPageReady(page);
      const check = await page.evaluate(() => window.clientTest.checkRequirements('sd-turbo'));
      expect(check.ok && check.value.webgpu.unmet.map((unmet) => unmet.shortfall)).toEqual(['shader-f16']);
      expect(check.ok && check.value.wasm.runnable).toBe(false);
      const load = await page.evaluate(() => window.clientTest.load('sd-turbo'));
      expect(load).toMatchObject({ ok: false, code: 'no-shader-f16' });
      expect(await page.evaluate(() => window.clientTest.load('sd-turbo', 'wasm'))).toMatchObject({
        ok: false,
        code: 'unsupported-device',
      });
      expect(await page.evaluate(() => window.clientTest.download('sd-turbo'))).toMatchObject({
        ok: false,
        code: 'no-shader-f16',
      });
      expect(modelRequests).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('consent to download (tiny-fp32, nothing stored)', () => {
  it('Enter and Generate only point at the first-run panel; focus stays in the prompt', async () => {
    const { context, page, logs, modelRequests } = await openCounting('/?model=tiny-fp32');
    try {
      await page.locator(part('download-button')).waitFor({ timeout: 30_000 });
      await page.locator(part('prompt')).fill('a red boat');
      await page.locator(part('prompt')).press('Enter');
      expect(await focusedPart(page)).toBe('prompt');
      expect(await textOf(page, part('status'))).toBe(
        'Download the model first: the panel says what it is and how big.',
      );
      // A next keystroke lands in the prompt, not on the Download button.
      await page.keyboard.press('Enter');
      await page.keyboard.type('x');
      expect(await page.locator(part('prompt')).inputValue()).toBe('a red boatx');
      await page.locator(part('generate-button')).click();
      expect(await focusedPart(page)).toBe('generate-button');
      await page.goto(`${app.origin}/bench.html?model=tiny-fp32`);
      await page.locator(part('download-button')).waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Run benchmark' }).click();
      await expect.poll(() => textOf(page, '#benchmark-status')).toContain('not downloaded yet');
      expect(await textOf(page, part('first-run'))).toContain('Download the model');
      // The element's generate() does not download either.
      const generated = await page.evaluate(() =>
        document
          .querySelector('sd-turbo')!
          .generate()
          .then(
            () => 'made an image',
            (error: Error & { code?: string }) => error.code,
          ),
      );
      expect(generated).toBe('not-loaded');
      await page.waitForTimeout(500);
      expect(modelRequests, logs.join('\n')).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it(
    'asks for persistent storage from the page when the download starts, and reports the answer in sd-progress',
    { tags: ['scale'] },
    async () => {
      const context = await app.browser.newContext();
      try {
        await context.addInitScript(() => {
          window.persistCalls = 0;
          navigator.storage.persisted = async () => false;
          navigator.storage.persist = async () => {
            window.persistCalls++;
            return true;
          };
          window.persistedInProgress = [];
          document.addEventListener('sd-progress', (event) => {
            window.persistedInProgress.push((event as CustomEvent).detail.storagePersisted);
          });
        });
        const page = await context.newPage();
        await page.goto(`${app.origin}/?model=tiny-fp32`);
        await page.locator(part('download-button')).waitFor({ timeout: 30_000 });
        expect(await page.evaluate(() => window.persistCalls)).toBe(0);
        const ready = page.evaluate(
          () => new Promise((resolve) => document.addEventListener('sd-ready', resolve, { once: true })),
        );
        await page.locator(part('download-button')).click();
        await ready;
        expect(await page.evaluate(() => window.persistCalls)).toBe(1);
        expect(await page.evaluate(() => window.persistedInProgress)).toContain(true);
      } finally {
        await context.close();
      }
    },
  );
});

declare global {
  interface Window {
    sdErrors: string[];
    persistCalls: number;
    persistedInProgress: (boolean | undefined)[];
  }
}
