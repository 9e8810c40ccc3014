/**
 * Firefox ESR headless (WebDriver BiDi through puppeteer-core) with WebGPU on SwiftShader's Vulkan driver:
 * an adapter without "shader-f16" and with 1 GiB buffers. The app page downloads tiny-fp32 and makes its
 * image on WebGPU, the same image as onnxruntime-node's; a model whose buffers exceed the adapter's is
 * refused before any of its bytes are requested.
 */
import { mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import {
  loadAndGenerateInPage,
  panelTextInPage,
  type AppOutcome,
  type ImageRequest,
} from './support/app-in-page.js';
import { startDevServer } from './support/browser.js';
import { skipWithoutEngine } from './support/engine-availability.js';
import { firefoxMissing, launchFirefox } from './support/firefox.js';
import { nodeReferencePixels } from './support/node-reference.js';
import { meanPixelDifference, pixelDifference } from './support/pixels.js';

const skip = skipWithoutEngine('Firefox', firefoxMissing());

const request: ImageRequest = { prompt: 'a photo of a cat', seed: 42, steps: 2 };
/** A manifest written for this file: tiny-fp32's files, stated to need 2 GiB storage buffer bindings. */
const OVERSIZED_MANIFEST = 'public/models/oversized-manifest.json';
const GIB = 1024 ** 3;
const SLOW = 300_000;

let server: Awaited<ReturnType<typeof startDevServer>>['server'];
let origin: string;
let browser: Browser;
/** Paths the dev server was asked for: model bytes come from the Worker, which a page's events may miss. */
const requested: string[] = [];

beforeAll(async () => {
  if (skip) return;
  await ensureTinyModels();
  await writeOversizedManifest();
  ({ server, url: origin } = await startDevServer());
  server.httpServer?.on('request', (incoming: { url?: string }) => requested.push(incoming.url ?? ''));
  browser = await launchFirefox();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(OVERSIZED_MANIFEST, { force: true });
});

async function writeOversizedManifest(): Promise<void> {
  const manifest = JSON.parse(await readFile('model-manifest.json', 'utf8')) as {
    models: { id: string; name: string; requires: unknown }[];
  };
  const tiny = manifest.models.find((model) => model.id === 'tiny-fp32');
  if (!tiny) throw new Error('model-manifest.json has no tiny-fp32');
  const oversized = {
    ...tiny,
    id: 'oversized-fp32',
    name: 'Oversized test model',
    baseUrl: 'tiny-fp32/',
    requires: {
      webgpu: { shaderF16: false, maxStorageBufferBindingSize: 2 * GIB, maxBufferSize: 2 * GIB },
      wasm: false,
    },
  };
  await mkdir('public/models', { recursive: true });
  await writeFile(
    OVERSIZED_MANIFEST,
    JSON.stringify({ version: 1, defaultModel: oversized.id, models: [oversized] }),
  );
}

/** A page in a context of its own (its own IndexedDB), so that nothing stored by another test is used. */
async function openApp(path: string): Promise<{ context: BrowserContext; page: Page; logs: string[] }> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  const logs: string[] = [];
  page.on('console', (message) => logs.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => logs.push(`[pageerror] ${String(error)}`));
  await page.goto(`${origin}${path}`);
  return { context, page, logs };
}

function modelRequests(model: string): string[] {
  return requested.filter((path) => path.startsWith(`/models/${model}/`));
}

describe.skipIf(skip)('Firefox ESR with WebGPU on SwiftShader', () => {
  it(
    'the app downloads tiny-fp32 and makes on WebGPU the image onnxruntime-node makes',
    { tags: ['scale'], timeout: SLOW },
    async () => {
      const { context, page, logs } = await openApp('/?model=tiny-fp32&provider=webgpu');
      try {
        const adapter = await page.evaluate(async () => {
          const gpu = await navigator.gpu?.requestAdapter();
          return { found: Boolean(gpu), shaderF16: gpu?.features.has('shader-f16') };
        });
        expect(adapter).toEqual({ found: true, shaderF16: false });

        requested.length = 0;
        const outcome: AppOutcome = await page.evaluate(loadAndGenerateInPage, request);
        if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}\n${logs.join('\n')}`);
        expect(outcome).toMatchObject({ loadedProvider: 'webgpu', imageProvider: 'webgpu', fellBack: false });
        expect(modelRequests('tiny-fp32').length).toBeGreaterThan(0);
        console.info(
          `Firefox, tiny-fp32 on WebGPU: loaded in ${(outcome.loadMs / 1000).toFixed(1)} s, ` +
            `an image in ${(outcome.totalMs / 1000).toFixed(2)} s`,
        );

        const reference = await nodeReferencePixels('tiny-fp32', request);
        expect([outcome.width, outcome.height]).toEqual([64, 64]);
        // The WebGPU-vs-wasm tolerance of tests/pipeline.browser.test.ts: float32 kernels that sum in
        // another order flip a value at a rounding boundary by one or two 8-bit steps.
        const diff = pixelDifference(reference, outcome.pixels);
        expect(diff.max).toBeLessThanOrEqual(2);
        expect(diff.differingShare).toBeLessThan(0.02);
      } finally {
        await context.close();
      }
    },
  );

  it(
    'tiny-fp16 makes its image on WebGPU through FP32 widening (no shader-f16 here)',
    { tags: ['scale'], timeout: SLOW },
    async () => {
      const { context, page, logs } = await openApp('/?model=tiny-fp16&provider=webgpu');
      try {
        const outcome: AppOutcome = await page.evaluate(loadAndGenerateInPage, request);
        if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}\n${logs.join('\n')}`);
        expect(outcome).toMatchObject({ loadedProvider: 'webgpu', imageProvider: 'webgpu', fellBack: false });
        const reference = await nodeReferencePixels('tiny-fp16', request);
        // The FP16 tests' tolerance: FP16 rounding, on CPU, against the widened FP32 arithmetic.
        expect(meanPixelDifference(outcome.pixels, reference)).toBeLessThan(4);
      } finally {
        await context.close();
      }
    },
  );

  it(
    'refuses a model whose buffers exceed the adapter before requesting any of its bytes',
    async () => {
      requested.length = 0;
      const { context, page, logs } = await openApp('/tests/pages/oversized-model.html');
      try {
        const panel = await page.evaluate(panelTextInPage, 'Oversized test model');
        expect(panel, logs.join('\n')).toContain('This device cannot run Oversized test model');
        expect(panel).toMatch(/allows at most 1(024 MiB|\.0 GiB)[^.]* per storage buffer binding/);
        const outcome: AppOutcome = await page.evaluate(loadAndGenerateInPage, request);
        expect(outcome).toMatchObject({ ok: false, code: 'unsupported-device' });
        expect(!outcome.ok && outcome.message).toContain('Oversized test model cannot run on this device');
        expect(modelRequests('tiny-fp32')).toEqual([]);
      } finally {
        await context.close();
      }
    },
    SLOW,
  );
});
