/**
 * Offline and installable: the built app (vite build, served by vite preview: the dev server runs no
 * service worker) precaches its shell; after one visit that downloads tiny-fp32 into IndexedDB, the page
 * reloads and generates with the network off. Drives the element only through load(), generate() and the
 * sd-image event, which stay through the UI redesign.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { launchChromium } from './support/browser.js';

let outDir: string;
let server: PreviewServer | undefined;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let origin: string;
const modelRequests: string[] = [];

interface ImageDetail {
  width: number;
  height: number;
  seed: number;
}

/** Calls the element's public methods in the page; resolves with the sd-image detail. */
function loadAndGenerate(target: Page): Promise<{ detail: ImageDetail; eventSeen: boolean }> {
  return target.evaluate(async () => {
    await customElements.whenDefined('sd-turbo');
    const element = document.querySelector('sd-turbo') as HTMLElement & {
      load(): Promise<unknown>;
      generate(options: { prompt: string; seed: number; steps: number }): Promise<ImageDetail>;
    };
    let eventSeen = false;
    element.addEventListener('sd-image', () => (eventSeen = true), { once: true });
    await element.load();
    const detail = await element.generate({ prompt: 'a lighthouse', seed: 7, steps: 1 });
    return { detail: { width: detail.width, height: detail.height, seed: detail.seed }, eventSeen };
  });
}

beforeAll(async () => {
  await ensureTinyModels();
  outDir = await mkdtemp(join(tmpdir(), 'sd-turbo-offline-'));
  await build({ configFile: 'vite.config.ts', logLevel: 'error', build: { outDir, emptyOutDir: true } });
  server = await preview({
    configFile: 'vite.config.ts',
    logLevel: 'error',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('vite preview has no TCP address');
  origin = `http://127.0.0.1:${address.port}`;
  browser = await launchChromium({ webgpu: true });
  context = await browser.newContext();
  context.on('request', (request) => {
    if (request.url().includes('/models/')) modelRequests.push(request.url());
  });
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('offline app', () => {
  it('builds a web app manifest and a service worker that precaches the shell but no model file', async () => {
    const manifest = JSON.parse(await readFile(join(outDir, 'manifest.webmanifest'), 'utf8')) as {
      name: string;
      start_url: string;
      display: string;
    };
    expect(manifest).toMatchObject({
      name: 'SD-Turbo in your browser',
      start_url: '/',
      display: 'standalone',
    });
    const worker = await readFile(join(outDir, 'sw.js'), 'utf8');
    const precached = [...worker.matchAll(/"?url"?:\s*["']([^"']+)["']/g)].map((match) => match[1]);
    expect(precached).toEqual(expect.arrayContaining(['index.html', 'model-manifest.json']));
    expect(precached.some((url) => url.endsWith('.wasm'))).toBe(true);
    expect(precached.some((url) => url.includes('pipeline-worker'))).toBe(true);
    expect(precached.filter((url) => url.includes('models/') || url.endsWith('.onnx'))).toEqual([]);
  });

  it('after one online visit that downloads the model, reloads and generates with the network off', async () => {
    // wasm: what is shown is the service worker and the store, which serve every EP alike, and a tiny model
    // loads in about a second there against 20 s or more on SwiftShader's WebGPU (twice here).
    await page.goto(`${origin}/?model=tiny-fp32&provider=wasm`);
    // The first visit installs the service worker; a reload puts the page under its control.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await page.reload();
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    const online = await loadAndGenerate(page);
    expect(online.detail).toMatchObject({ width: 64, height: 64, seed: 7 });
    expect(modelRequests.length).toBeGreaterThan(0);

    // Network off: the browser context offline and the server gone.
    await context.setOffline(true);
    await server?.close();
    server = undefined;
    modelRequests.length = 0;
    await page.reload();
    const offline = await loadAndGenerate(page);
    expect(offline.eventSeen).toBe(true);
    expect(offline.detail).toMatchObject({ width: 64, height: 64, seed: 7 });
    // The weights came from IndexedDB: nothing asked for a model file, and Cache Storage holds none.
    expect(modelRequests).toEqual([]);
    const cachedModelUrls = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) {
        for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
      }
      return urls.filter((url) => url.includes('/models/') || url.endsWith('.onnx'));
    });
    expect(cachedModelUrls).toEqual([]);
  }, 180_000);
});
