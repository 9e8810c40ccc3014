/**
 * WebKitGTK (MiniBrowser under Xvfb, driven by WebKitWebDriver): no WebGPU here (`navigator.gpu` is absent,
 * also with MiniBrowser's preview feature flag), WebAssembly yes; the dev server's page is cross-origin
 * isolated, yet the page has no SharedArrayBuffer (measured in WebKitGTK 2.50), so ORT's wasm runs on one
 * thread. This engine tests the wasm path, the element in another engine, and the honest refusal of a
 * WebGPU-only request before any download.
 */
import type { WebDriver } from 'selenium-webdriver';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import {
  loadAndGenerateInPage,
  panelTextInPage,
  type AppOutcome,
  type ImageRequest,
} from './support/app-in-page.js';
import { startDevServer } from './support/browser.js';
import { skipWithoutEngine } from './support/engine-availability.js';
import { nodeReferencePixels } from './support/node-reference.js';
import { pixelDifference } from './support/pixels.js';
import { startWebKit, webkitMissing, type WebKitSession } from './support/webkit.js';

const skip = skipWithoutEngine('WebKitGTK', webkitMissing());

const request: ImageRequest = { prompt: 'a photo of a cat', seed: 42, steps: 2 };
const SLOW = 300_000;

let server: Awaited<ReturnType<typeof startDevServer>>['server'];
let origin: string;
let webkit: WebKitSession;
let driver: WebDriver;
/** Paths the dev server was asked for, by the page and its Worker alike. */
const requested: string[] = [];

beforeAll(async () => {
  if (skip) return;
  await ensureTinyModels();
  ({ server, url: origin } = await startDevServer());
  server.httpServer?.on('request', (incoming: { url?: string }) => requested.push(incoming.url ?? ''));
}, 120_000);

afterAll(() => server?.close());

// A browser of its own for each test: after a first page in the same MiniBrowser, the next page's
// pipeline Worker failed to start ("unknown error"), and a fresh one starts with nothing stored.
beforeEach(async () => {
  if (skip) return;
  webkit = await startWebKit();
  driver = webkit.driver;
  // Loading on wasm on a busy machine takes minutes; the script timeout bounds one in-page call.
  await driver.manage().setTimeouts({ script: SLOW });
}, 60_000);

afterEach(() => webkit?.close());

/** Runs one of app-in-page's functions in the page and resolves with what it returned. */
function runInPage<A, R>(inPage: (argument: A) => Promise<R>, argument: A): Promise<R> {
  return driver.executeAsyncScript<R>(
    `const done = arguments[arguments.length - 1];
     (${inPage.toString()})(arguments[0]).then(done, (error) => done({ ok: false, message: String(error) }));`,
    argument,
  );
}

function modelRequests(model: string): string[] {
  return requested.filter((path) => path.startsWith(`/models/${model}/`));
}

describe.skipIf(skip)('WebKitGTK (MiniBrowser)', () => {
  it(
    'has WebAssembly and no WebGPU; a WebGPU-only request is refused with the reason and no download',
    async () => {
      requested.length = 0;
      await driver.get(`${origin}/?model=tiny-fp32&provider=webgpu`);
      const engine = await driver.executeScript<Record<string, unknown>>(
        `return {
         webgpu: 'gpu' in navigator,
         webAssembly: typeof WebAssembly === 'object',
         crossOriginIsolated: self.crossOriginIsolated,
         sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
       };`,
      );
      console.info(`WebKitGTK on the dev server: ${JSON.stringify(engine)}`);
      expect(engine).toMatchObject({ webgpu: false, webAssembly: true, crossOriginIsolated: true });

      const outcome: AppOutcome = await runInPage(loadAndGenerateInPage, request);
      expect(outcome).toMatchObject({ ok: false, code: 'no-webgpu' });
      expect(!outcome.ok && outcome.message).toContain('This browser has no WebGPU');
      const panel = await runInPage(panelTextInPage, 'This browser has no WebGPU');
      expect(panel).toContain('navigator.gpu is missing');
      expect(modelRequests('tiny-fp32')).toEqual([]);
    },
    SLOW,
  );

  it(
    'the app shows the model to download, then makes on wasm the image onnxruntime-node makes',
    async () => {
      requested.length = 0;
      await driver.get(`${origin}/?model=tiny-fp32`);
      const firstRun = await runInPage(panelTextInPage, 'Download the model');
      expect(firstRun).toMatch(/Download the model \(6\.\d MB\)/);

      const started = Date.now();
      const outcome: AppOutcome = await runInPage(loadAndGenerateInPage, request);
      if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
      // 'auto' without WebGPU: wasm, saying why.
      expect(outcome).toMatchObject({ loadedProvider: 'wasm', imageProvider: 'wasm', fellBack: true });
      expect(modelRequests('tiny-fp32').length).toBeGreaterThan(0);
      console.info(
        `WebKitGTK, tiny-fp32 on wasm: loaded in ${(outcome.loadMs / 1000).toFixed(1)} s, an image in ` +
          `${(outcome.totalMs / 1000).toFixed(2)} s (${((Date.now() - started) / 1000).toFixed(1)} s in all)`,
      );

      const reference = await nodeReferencePixels('tiny-fp32', request);
      expect([outcome.width, outcome.height]).toEqual([64, 64]);
      const diff = pixelDifference(reference, outcome.pixels);
      expect(diff.max).toBeLessThanOrEqual(2);
      expect(diff.differingShare).toBeLessThan(0.02);
    },
    SLOW,
  );
});
