/**
 * `<sd-turbo>` in headless Chromium on the generated tiny models: the app page, two elements on one page,
 * the embed example on the library build, a browser without WebGPU, and the resumable download flow.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngText } from '../src/image-file/png-metadata.js';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { launchChromium, openPage, openSettings, startTestApp, type TestApp } from './support/browser.js';

/** Outside the tree's tracked files; `npm run screenshots` makes the README's pictures in docs/screenshots/. */
const SCREENSHOTS = 'test-results/screenshots';
const element = 'sd-turbo';
const part = (name: string) => `${element} [part~="${name}"]`;

let app: TestApp;

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
});

afterAll(() => app?.close());

/** The shown image's RGBA pixels, read from the element's canvas (a read-back the element never does). */
function shownPixels(page: Page, index = 0): Promise<number[]> {
  return page.evaluate((i) => {
    const host = document.querySelectorAll('sd-turbo')[i];
    const canvas = host.shadowRoot!.querySelector<HTMLCanvasElement>('canvas.image')!;
    const context = canvas.getContext('2d')!;
    return Array.from(context.getImageData(0, 0, canvas.width, canvas.height).data);
  }, index);
}

/** Resolves with the detail of the element's next `sd-image`, in a form that crosses to Node. */
function nextImage(page: Page) {
  return page.evaluate(
    () =>
      new Promise<{ seed: number; prompt: string; steps: number; totalMs: number; width: number }>(
        (resolve) =>
          document.addEventListener(
            'sd-image',
            (event) => {
              const { seed, prompt, steps, timings, width } = (event as CustomEvent).detail;
              resolve({ seed, prompt, steps, totalMs: timings.totalMs, width });
            },
            { once: true },
          ),
      ),
  );
}

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.gz': 'application/gzip',
};

/**
 * A plain static file server (no Vite transforms), as a web host serves the library build: files from the
 * root, then (unless `publicFallback` is false) from its public/ (where the tiny models are), with the
 * cross-origin isolation headers.
 */
async function startStaticServer(
  root: string,
  { publicFallback = true } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    const folders = publicFallback ? [root, join(root, 'public')] : [root];
    for (const candidate of folders.map((folder) => join(folder, path))) {
      try {
        const body = await readFile(candidate);
        response.setHeader('Content-Type', MIME_TYPES[extname(candidate)] ?? 'application/octet-stream');
        response.end(body);
        return;
      } catch {
        // Not here: try the next folder.
      }
    }
    response.statusCode = 404;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Text with runs of white space collapsed, as a reader hears it. */
async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

describe('the app page with <sd-turbo>', () => {
  let context: BrowserContext;
  let page: Page;
  let logs: string[];

  beforeAll(async () => {
    ({ context, page, logs } = await app.open('/?model=tiny-fp32'));
    await page.setViewportSize({ width: 1100, height: 960 });
  });
  afterAll(() => context?.close());
  /** Set once this page has downloaded the model and made an image with it. */
  let imageMade = false;

  /**
   * test:scale runs the tagged tests below without the first one: they download the model if it is not yet,
   * and make one image so that it is loaded.
   */
  async function downloadIfNeeded(): Promise<void> {
    if (imageMade) return;
    await page.locator(part('download-button')).click({ timeout: 30_000 });
    await page.waitForSelector(part('first-run'), { state: 'detached', timeout: 120_000 });
    await page.locator(part('prompt')).fill('a lighthouse at dawn');
    const image = nextImage(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    await image;
    imageMade = true;
  }

  it('shows what will be downloaded, downloads it, and makes an image with its seed and seconds per image', async () => {
    await expect
      .poll(() => textOf(page, part('first-run')), { timeout: 30_000 })
      .toContain('text_encoder/model.onnx');
    expect(await textOf(page, part('first-run'))).toMatch(/Download the model \(6\.\d MB\)/);
    await page.locator(part('prompt')).fill('a watercolor fox in the snow');
    await expect.poll(() => textOf(page, part('token-count'))).toMatch(/\d+ \/ 75 tokens/);
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}/app-before.png` });

    await page.locator(part('download-button')).click();
    await page.waitForSelector(part('first-run'), { state: 'detached', timeout: 60_000 });

    const image = nextImage(page);
    await page.locator(part('prompt')).press('Enter');
    const detail = await image;
    expect(detail.prompt).toBe('a watercolor fox in the snow');
    expect(detail.width).toBe(64);
    await expect.poll(() => textOf(page, part('result'))).toMatch(/\d+\.\d+ s per image/);
    expect(await textOf(page, part('image-seed'))).toBe(String(detail.seed));
    expect(await textOf(page, part('timings'))).toMatch(/Text encoder\s*[\d.]+ ms/);
    // The stage timings are there on request, not under every image.
    expect(await page.locator(part('timings')).isVisible()).toBe(false);
    await page.getByText('Stage timings').click();
    expect(await page.locator(part('timings')).isVisible()).toBe(true);
    // Loading and its warm-up image are shown apart from the seconds per image.
    expect(await textOf(page, part('load-note'))).toMatch(
      /Loaded in [\d.]+ s, including a [\d.]+ s warm-up image/,
    );
    const pixels = await shownPixels(page);
    expect(pixels.length).toBe(64 * 64 * 4);
    expect(new Set(pixels.filter((_, i) => i % 4 === 0)).size, logs.join('\n')).toBeGreaterThan(16);
    await page.screenshot({ path: `${SCREENSHOTS}/app-after.png` });
    imageMade = true;
  });

  it('shows which part of a long prompt is cut off', async () => {
    await page.locator(part('prompt')).fill('a red lighthouse on a rocky coast, '.repeat(12));
    await expect.poll(() => textOf(page, part('token-count'))).toMatch(/\d+ \/ 75 tokens \d+ tokens cut off/);
    expect(await textOf(page, part('dropped-text'))).toContain('lighthouse');
    // A compact note: the dropped words are there on request, not struck through under the prompt.
    expect(await page.locator(part('dropped-text')).isVisible()).toBe(false);
    const generate = await page.locator(part('generate-button')).boundingBox();
    expect(generate!.y + generate!.height).toBeLessThan(400);
    await page.locator(part('prompt')).fill('a watercolor fox in the snow');
  });

  it('reproduces the same pixels from a reused seed, and differs for another seed', async () => {
    const first = await shownPixels(page);
    const firstSeed = await textOf(page, part('image-seed'));
    await page.locator(part('reuse-seed-button')).click();
    expect(await page.locator(`${element} #seed`).inputValue()).toBe(firstSeed);
    const again = nextImage(page);
    await page.locator(part('prompt')).press('Control+Enter');
    expect(String((await again).seed)).toBe(firstSeed);
    expect(await shownPixels(page)).toEqual(first);

    await openSettings(page);
    await page.locator(`${element} #seed`).fill(String((Number(firstSeed) + 1) % 2 ** 32));
    await page.locator(`${element} #seed`).press('Tab');
    const other = nextImage(page);
    await page.locator(part('generate-button')).click();
    await other;
    const differing = (await shownPixels(page)).filter((v, i) => v !== first[i]).length;
    expect(differing / first.length).toBeGreaterThan(0.3);
    // The session's images are in the gallery and can be reopened.
    const thumbnails = page.locator(`${element} [part~="gallery"] [part~="show-image-button"]`);
    expect(await thumbnails.count()).toBe(3);
    await thumbnails.nth(2).click();
    expect(await shownPixels(page)).toEqual(first);
  });

  it('encodes a PNG on request with the seed and prompt in its name and text metadata', async () => {
    const png = await page.evaluate(async () => {
      const detail = await document
        .querySelector('sd-turbo')!
        .generate({ seed: 1234, prompt: 'a café, at dusk' });
      const blob = await detail.toBlob();
      return {
        type: blob.type,
        name: detail.fileName,
        bytes: Array.from(new Uint8Array(await blob.arrayBuffer())),
      };
    });
    expect(png.type).toBe('image/png');
    expect(png.name).toBe('sd-turbo_1234_a-cafe-at-dusk_64x64.png');
    expect(readPngText(new Uint8Array(png.bytes))).toEqual({
      prompt: 'a café, at dusk',
      seed: '1234',
      steps: '1',
      model: 'tiny-fp32',
      size: '64x64',
      Software: 'sd-turbo-web',
    });
  });

  it('cancels a run with the Cancel button: no image, and the element works again', async () => {
    const outcome = await page.evaluate(async () => {
      const host = document.querySelector('sd-turbo')!;
      let images = 0;
      host.addEventListener('sd-image', () => images++);
      const button = host.shadowRoot!.querySelector<HTMLButtonElement>('[part~="generate-button"]')!;
      button.click();
      await host.updateComplete;
      // Generate keeps its place and name; a second click there does not cancel. Cancel is on the image.
      button.click();
      const cancel = host.shadowRoot!.querySelector<HTMLButtonElement>('[part~="cancel-button"]')!;
      const label = cancel.textContent!.trim();
      const generateLabel = button.textContent!.trim();
      cancel.click();
      while (host.busy) await new Promise((resolve) => requestAnimationFrame(resolve));
      await host.updateComplete;
      return {
        label,
        generateLabel,
        images,
        after: button.textContent!.trim(),
        status: host.shadowRoot!.querySelector('[part~="status"]')!.textContent,
      };
    });
    expect(outcome).toEqual({
      label: 'Cancel',
      generateLabel: 'Generate',
      images: 0,
      after: 'Generate',
      status: 'Cancelled.',
    });
    const image = nextImage(page);
    await page.locator(part('generate-button')).click();
    expect((await image).prompt).toBe('a watercolor fox in the snow');
  });

  it('makes one image on a double click of Generate, without cancelling it', async () => {
    await page.evaluate(() => {
      window.imagesSeen = 0;
      document.querySelector('sd-turbo')!.addEventListener('sd-image', () => window.imagesSeen++);
    });
    const image = nextImage(page);
    await page.locator(part('generate-button')).dblclick();
    await image;
    // Long enough for a second image to have been made, had the second click started one.
    await page.waitForTimeout(1500);
    expect(await page.evaluate(() => window.imagesSeen)).toBe(1);
    expect(await textOf(page, part('status'))).toMatch(/^Image ready/);
  });

  it('shows the stage and elapsed time over the dimmed previous image, and Esc cancels', async () => {
    const outcome = await page.evaluate(async () => {
      const host = document.querySelector('sd-turbo')!;
      const root = host.shadowRoot!;
      let images = 0;
      host.addEventListener('sd-image', () => images++);
      host.steps = 4;
      root.querySelector<HTMLButtonElement>('[part~="generate-button"]')!.click();
      await host.updateComplete;
      const busy = {
        overlay: root.querySelector('[part~="busy"]')?.textContent?.replace(/\s+/g, ' ').trim(),
        dimmed: root.querySelector('.stage.busy canvas.image') !== null,
      };
      root
        .querySelector('#prompt')!
        .dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
      while (host.busy) await new Promise((resolve) => requestAnimationFrame(resolve));
      await host.updateComplete;
      host.steps = 1;
      return {
        ...busy,
        images,
        status: root.querySelector('[part~="status"]')!.textContent,
        toast: root.querySelector('[part~="toast"]')?.textContent,
      };
    });
    expect(outcome.overlay).toMatch(/^(Loading the model|Generating · 4 steps) \d+\.\d s Esc cancels$/);
    expect(outcome).toMatchObject({ dimmed: true, images: 0, status: 'Cancelled.', toast: 'Cancelled.' });
    expect(await page.locator(part('toast')).last().isVisible()).toBe(true);
  });

  it('keeps the main thread responsive while an image is made', async () => {
    const longestGapMs = await page.evaluate(async () => {
      const host = document.querySelector('sd-turbo')!;
      let longest = 0;
      let last = performance.now();
      let running = true;
      const tick = (now: number) => {
        longest = Math.max(longest, now - last);
        last = now;
        if (running) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      await host.generate({ steps: 4, seed: 99 });
      running = false;
      return longest;
    });
    console.log(`longest gap between animation frames while generating: ${longestGapMs.toFixed(1)} ms`);
    expect(longestGapMs).toBeLessThan(1000);
  });

  it(
    'says the GPU was reset after a device loss, and reloads the model on the next Generate',
    { tags: ['scale'], timeout: 240_000 },
    async () => {
      await downloadIfNeeded();
      const errors = page.evaluate(
        () =>
          new Promise<{ code: string; advice: string }[]>((resolve) => {
            const seen: { code: string; advice: string }[] = [];
            document.addEventListener('sd-error', (event) => {
              seen.push((event as CustomEvent).detail);
              // The failed run settles the same turn; a second report would arrive before this.
              requestAnimationFrame(() => resolve(seen));
            });
          }),
      );
      // A string, so the import runs in the page as written: the app's own module instance (same URL), so
      // this is the client the element uses.
      await page.evaluate(`import('/src/pipeline/index.ts').then(({ GeneratorClient }) =>
      GeneratorClient.shared(document.querySelector('sd-turbo').manifestUrl).simulateDeviceLoss())`);
      await page.getByRole('button', { name: 'Generate' }).click();
      const reported = await errors;
      expect(reported.map((e) => e.code)).toEqual(['device-lost']);
      expect(await textOf(page, part('error'))).toContain(
        'The GPU was reset; press Generate to reload the model.',
      );
      const image = nextImage(page);
      await page.getByRole('button', { name: 'Generate' }).click();
      expect((await image).width).toBe(64);
      expect(await page.locator(part('error')).count()).toBe(0);
    },
  );

  it('is usable by keyboard and screen reader: labelled controls, focus order, live status', async () => {
    await expect.poll(() => page.getByRole('textbox', { name: 'Prompt' }).count()).toBe(1);
    await page.getByRole('textbox', { name: 'Prompt' }).focus();
    const focusOrder: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      focusOrder.push(
        await page.evaluate(() => {
          const active = document.querySelector('sd-turbo')!.shadowRoot!.activeElement as HTMLElement;
          return active.getAttribute('part') ?? active.id;
        }),
      );
    }
    // The seed is set (from the test above), so "Random seed" is enabled and in the order.
    // The Settings drawer is open (from the test above): Real time, the drawer's summary, then its fields.
    expect(focusOrder).toEqual([
      'generate-button',
      'realtime-toggle',
      'settings-toggle',
      'seed-input',
      'random-seed-button',
      'steps-select',
    ]);
    // A text box (not type=number), so a seed that is none stays visible as written beside its error;
    // phones still get the numeric keyboard.
    const seed = page.getByRole('textbox', { name: 'Seed' });
    expect(await seed.count()).toBe(1);
    expect(await seed.getAttribute('inputmode')).toBe('numeric');
    expect(await page.getByRole('combobox', { name: 'Steps' }).count()).toBe(1);
    expect(await page.getByRole('img', { name: /^Generated image for "/ }).count()).toBe(1);
    expect(await textOf(page, part('status'))).toMatch(/^Image ready: seed \d+, [\d.]+ s per image\.$/);
    expect(await page.getByRole('status').count()).toBeGreaterThan(0);
  });

  it('fits a phone-width screen without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    const widths = await page.evaluate(() => {
      const host = document.querySelector('sd-turbo')!;
      return { host: host.getBoundingClientRect().width, page: document.documentElement.scrollWidth };
    });
    expect(widths.page).toBeLessThanOrEqual(360);
    expect(widths.host).toBeLessThanOrEqual(360);
    await page.setViewportSize({ width: 1100, height: 960 });
  });

  it(
    'benchmarks N images after a warm-up on bench.html, with median, p90 and the per-stage breakdown',
    { tags: ['scale'], timeout: 240_000 },
    async () => {
      await downloadIfNeeded();
      // The same origin, so the model stored above is there; the product page has no Benchmark.
      expect(await page.getByRole('button', { name: 'Run benchmark' }).count()).toBe(0);
      await page.goto(`${app.origin}/bench.html?model=tiny-fp32`);
      await page.locator(part('stored-note')).waitFor({ timeout: 30_000 });
      // The benchmark's own form: the element beside it has an "Images" control (images per Generate) too.
      const form = page.locator('#benchmark form');
      await form.getByLabel('Images', { exact: true }).fill('2');
      await form.getByLabel('Warm-up', { exact: true }).fill('1');
      await page.getByRole('button', { name: 'Run benchmark' }).click();
      await page.locator('#benchmark-results table').waitFor({ timeout: 60_000 });
      expect(await textOf(page, '#benchmark-results caption')).toBe(
        '2 images after 1 warm-up, 1 step, webgpu: seconds',
      );
      const rows = await page.$$eval('#benchmark-results tbody tr', (trs: HTMLTableRowElement[]) =>
        trs.map((tr) => Array.from(tr.cells, (td) => td.textContent)),
      );
      expect(rows.map((row) => row[0])).toEqual([
        'Total (seconds per image)',
        'Tokenizer',
        'Text encoder',
        'UNet (all steps)',
        'VAE decoder',
        'Pixels',
        'Pipeline overhead',
      ]);
      for (const [, median, p90, min] of rows) {
        expect(Number(min)).toBeLessThanOrEqual(Number(median));
        expect(Number(median)).toBeLessThanOrEqual(Number(p90));
      }
      await page.goto(`${app.origin}/?model=tiny-fp32`);
      await page.locator(part('stored-note')).waitFor({ timeout: 30_000 });
    },
  );

  it('switches the provider, and deletes a stored model from Settings after asking', async () => {
    await openSettings(page);
    await page.getByRole('radio', { name: 'wasm (CPU)' }).check();
    const image = nextImage(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    await image;
    expect(await textOf(page, part('result'))).toContain('wasm (CPU)');
    const stored = page.locator(part('stored-models'));
    expect(await textOf(page, part('stored-models'))).toMatch(/Tiny test model \(FP32[^)]*\) 6\.6 MB Delete/);
    const name = /Tiny test model \(FP32[^)]*\)/.exec(await textOf(page, part('stored-models')))![0];
    const deleteButton = page.getByRole('button', { name: 'Delete tiny-fp32 (6.6 MB)' });
    const question = part('confirm-delete-model');
    // A complete model is deleted only after a question that says what a later use would download again.
    await deleteButton.click();
    expect(await textOf(page, question)).toBe(
      `Delete ${name} from this browser? Using it again means downloading 6.6 MB again. Delete 6.6 MB Keep it`,
    );
    expect(await page.locator(question).getAttribute('role')).toBe('alertdialog');
    await page.locator(part('confirm-delete-model-cancel-button')).click();
    expect(await page.locator(question).count()).toBe(0);
    await deleteButton.click();
    await page.keyboard.press('Escape');
    expect(await page.locator(question).count()).toBe(0);
    await page.reload();
    await page.locator(part('stored-note')).waitFor({ timeout: 30_000 });
    expect(await textOf(page, part('stored-models'))).toMatch(/Tiny test model \(FP32[^)]*\) 6\.6 MB Delete/);

    await openSettings(page);
    await deleteButton.click();
    await page.locator(part('confirm-delete-model-button')).click();
    await expect.poll(() => stored.textContent()).toContain('None yet.');
    // Gone from storage, not only from the table: after a reload the first-run panel offers the download.
    await page.reload();
    await expect
      .poll(() => textOf(page, part('first-run')), { timeout: 30_000 })
      .toMatch(/Download the model \(6\.\d MB\)/);
    expect(await textOf(page, part('stored-models'))).toContain('None yet.');
  });
});

describe('two elements on one page', { tags: ['scale'] }, () => {
  it('share one worker, one download and one loaded model', async () => {
    const { context, page, logs } = await app.open('/tests/pages/component-two-elements.html');
    const modelRequests: string[] = [];
    context.on('request', (request) => {
      if (request.url().includes('/models/tiny-fp32/')) modelRequests.push(new URL(request.url()).pathname);
    });
    try {
      await page.waitForFunction(() => window.componentTest.ready.length === 2, undefined, {
        timeout: 60_000,
      });
      const images = await page.evaluate(async () => {
        const [a, b] = document.querySelectorAll('sd-turbo');
        const [first, second] = await Promise.all([a.generate({ seed: 5 }), b.generate({ seed: 5 })]);
        return [first.modelId, second.modelId, first.seed, second.seed];
      });
      expect(images, logs.join('\n')).toEqual(['tiny-fp32', 'tiny-fp32', 5, 5]);
      expect(await shownPixels(page, 0)).toEqual(await shownPixels(page, 1));
      const counts = await page.evaluate(() => window.componentTest.counts);
      expect(counts).toMatchObject({ workers: 1, load: 1, download: 1 });
      // All four files (the image-to-image VAE encoder too) were fetched, by the one download asked of the
      // one worker.
      expect(new Set(modelRequests).size).toBe(4);
    } finally {
      await context.close();
    }
  });
});

describe('inputs show what will be used', () => {
  it('marks invalid steps, seed and provider attributes on their controls and refuses to use them', async () => {
    const { context, page, logs } = await app.open('/?model=tiny-fp32');
    try {
      await page.locator(part('first-run')).waitFor({ timeout: 30_000 });
      await page.evaluate(() => {
        const host = document.querySelector('sd-turbo')!;
        host.setAttribute('steps', '9');
        host.setAttribute('seed', '-1');
        host.setAttribute('provider', 'webgl');
      });
      const steps = page.locator(`${element} #steps`);
      await expect.poll(() => steps.getAttribute('aria-invalid')).toBe('true');
      expect(await textOf(page, part('steps-error'))).toBe(
        '"9" is not a number of steps: choose 1, 2, 3 or 4.',
      );
      expect(await steps.evaluate((select: HTMLSelectElement) => select.selectedOptions[0].text)).toBe(
        '9 (not allowed)',
      );
      const seed = page.locator(`${element} #seed`);
      expect(await seed.inputValue()).toBe('-1');
      expect(await seed.getAttribute('aria-invalid')).toBe('true');
      expect(await textOf(page, part('seed-error'))).toContain('"-1" is not a seed');
      expect(await textOf(page, part('provider-error'))).toBe(
        '"webgl" is not an execution provider: use auto, webgpu, wasm or webnn.',
      );
      expect(await page.locator(`${element} input[name="provider"]:checked`).count()).toBe(0);

      const refused = await page.evaluate(() =>
        document
          .querySelector('sd-turbo')!
          .generate()
          .then(
            () => 'made an image',
            (error: { code?: string }) => error.code,
          ),
      );
      expect(refused, logs.join('\n')).toBe('invalid-input');

      // Picking 1 is a change, and clears the error; so do a valid seed and provider.
      await steps.selectOption('1');
      await expect.poll(() => page.locator(part('steps-error')).count()).toBe(0);
      expect(await page.evaluate(() => document.querySelector('sd-turbo')!.steps)).toBe(1);
      await seed.fill('42');
      await seed.press('Tab');
      await page.getByRole('radio', { name: 'wasm (CPU)' }).check();
      expect(await page.locator(part('field-error')).count()).toBe(0);
      expect(await page.evaluate(() => document.querySelector('sd-turbo')!.seed)).toBe(42);
    } finally {
      await context.close();
    }
  });

  it('offers the test models only with test-models, and the app remembers the chosen model', async () => {
    const manifest = JSON.parse(await readFile('model-manifest.json', 'utf8')) as {
      models: { id: string }[];
    };
    const ids = manifest.models.map((model) => model.id);
    const productIds = ids.filter((id) => !id.startsWith('tiny-'));
    expect(ids).toEqual(expect.arrayContaining(['sd-turbo', 'tiny-fp32', 'tiny-fp16']));
    const { context, page } = await app.open('/');
    try {
      const options = page.locator(`${element} #model option`);
      const offered = () =>
        options.evaluateAll((found) => found.map((option) => (option as HTMLOptionElement).value));
      await expect.poll(offered, { timeout: 30_000 }).toEqual(ids);
      await page.evaluate(() => (document.querySelector('sd-turbo')!.testModels = false));
      // With the test models left out only the real models remain (a picker of one is no picker).
      await expect.poll(offered).toEqual(productIds.length > 1 ? productIds : []);
      await page.evaluate(() => (document.querySelector('sd-turbo')!.testModels = true));
      await openSettings(page);
      await page.locator(`${element} #model`).selectOption('tiny-fp16');
      await page.reload();
      await expect
        .poll(() => page.evaluate(() => document.querySelector('sd-turbo')!.modelId))
        .toBe('tiny-fp16');
    } finally {
      await context.close();
    }
  });
});

/** Opens examples/embed.html at `url`, waits for its model, clicks Generate and checks the image it reports. */
async function expectEmbedExampleGenerates(
  url: string,
  andThen?: (page: Page) => Promise<void>,
): Promise<void> {
  const { context, page, logs } = await openPage(app.browser, url);
  try {
    await page.waitForFunction(
      () => document.querySelector('#last-image')?.textContent === 'ready',
      undefined,
      {
        timeout: 60_000,
      },
    );
    await page.locator(part('generate-button')).click();
    await page.waitForFunction(() => document.querySelector('#last-image')?.textContent?.startsWith('seed'));
    expect(await textOf(page, '#last-image'), logs.join('\n')).toBe('seed 7, 2 steps: a lighthouse at dawn');
    await andThen?.(page);
  } finally {
    await context.close();
  }
}

describe('the embed example on the library build', { tags: ['scale'] }, () => {
  let staticServer: Awaited<ReturnType<typeof startStaticServer>>;

  beforeAll(async () => {
    await build({ configFile: 'vite.config.ts', mode: 'lib', logLevel: 'error' });
    staticServer = await startStaticServer(process.cwd());
  }, 300_000);
  afterAll(() => staticServer?.close());

  it('works from its attributes and receives sd-image', async () => {
    await expectEmbedExampleGenerates(`${staticServer.url}/examples/embed.html`, async (page) => {
      expect(await textOf(page, part('image-seed'))).toBe('7');
    });
  });
});

describe('the embed example in the build output', { tags: ['scale'] }, () => {
  let site: string;
  let staticServer: Awaited<ReturnType<typeof startStaticServer>>;

  beforeAll(async () => {
    // What `npm run build` makes, in a folder of its own: the app (with examples/) and the library in lib/.
    site = await mkdtemp(join(tmpdir(), 'sd-turbo-site-'));
    await build({ configFile: 'vite.config.ts', logLevel: 'error', build: { outDir: site } });
    await build({
      configFile: 'vite.config.ts',
      mode: 'lib',
      logLevel: 'error',
      build: { outDir: join(site, 'lib') },
    });
    staticServer = await startStaticServer(site, { publicFallback: false });
  }, 300_000);
  afterAll(async () => {
    await staticServer?.close();
    if (site) await rm(site, { recursive: true, force: true });
  });

  it('works from any static server that serves the build output, and the app has bench.html', async () => {
    await expectEmbedExampleGenerates(`${staticServer.url}/examples/embed.html`);
    const bench = await fetch(`${staticServer.url}/bench.html`);
    expect(bench.status).toBe(200);
    expect(await bench.text()).toContain('Run benchmark');
  });
});

describe('a browser without WebGPU', () => {
  let plainBrowser: Browser;
  beforeAll(async () => {
    plainBrowser = await launchChromium({ webgpu: false });
  });
  afterAll(() => plainBrowser?.close());

  it('explains that WebGPU is missing and continues on wasm', async () => {
    const { context, page, logs } = await app.open('/?model=tiny-fp32&provider=webgpu', {
      browser: plainBrowser,
    });
    try {
      await page.locator(part('download-button')).click();
      const problem = page.locator(part('error'));
      await problem.waitFor({ timeout: 60_000 });
      expect(await problem.getAttribute('data-code'), logs.join('\n')).toBe('no-webgpu');
      expect(await textOf(page, part('error'))).toContain('This browser has no WebGPU');
      const image = nextImage(page);
      await page.locator(part('remedy-button')).click();
      await image;
      expect(await textOf(page, part('result'))).toContain('wasm (CPU)');
      expect(await page.locator(part('error')).count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});

describe('the first-run download', () => {
  it('shows per-file and overall progress, and resumes after a reload', { tags: ['scale'] }, async () => {
    const { context, page, logs } = await app.open('/?model=tiny-fp32');
    const held: Route[] = [];
    await context.route('**/models/tiny-fp32/unet/model.onnx', (route) => held.push(route));
    try {
      await page.evaluate(() => {
        window.progressEvents = [];
        document.addEventListener('sd-progress', (event) => {
          const { phase, bytesDone, bytesTotal, files } = (event as CustomEvent).detail;
          window.progressEvents.push({ phase, bytesDone, bytesTotal, files: files.length });
        });
      });
      await page.locator(part('download-button')).click();
      // The text encoder arrives while the UNet is held back by the route above.
      await page.waitForFunction(
        () => window.progressEvents.some((p) => p.phase === 'downloading' && p.bytesDone >= 6_412_027),
        undefined,
        { timeout: 60_000 },
      );
      const last = await page.evaluate(() => window.progressEvents.at(-1)!);
      expect(last.bytesDone).toBeLessThan(last.bytesTotal);
      // tiny-fp32 has four files, the image-to-image VAE encoder included: one bar each, and the total.
      expect(last.files).toBe(4);
      const progress = page.locator(part('progress'));
      expect(await progress.locator('progress').count()).toBe(5);
      expect(await textOf(page, part('progress'))).toMatch(/text_encoder\/model\.onnx: 6\.4 MB of 6\.4 MB/);
      expect(await textOf(page, part('progress-text'))).toMatch(/MB of 6\.6 MB/);

      await page.reload();
      await expect
        .poll(() => textOf(page, part('first-run')), { timeout: 30_000 })
        .toMatch(/6\.\d MB of 6\.6 MB are already stored/);
      expect(await textOf(page, part('download-button'))).toBe('Resume download');

      await context.unroute('**/models/tiny-fp32/unet/model.onnx');
      const fetched: string[] = [];
      context.on('request', (request) => fetched.push(new URL(request.url()).pathname));
      const ready = page.evaluate(
        () => new Promise((resolve) => document.addEventListener('sd-ready', resolve, { once: true })),
      );
      await page.locator(part('download-button')).click();
      await ready;
      expect(fetched.filter((path) => path.endsWith('/unet/model.onnx')).length).toBeGreaterThan(0);
      expect(
        fetched.filter((path) => path.endsWith('/text_encoder/model.onnx')),
        logs.join('\n'),
      ).toEqual([]);
    } finally {
      await context.close();
    }
  });
  it('says Paused with no stale rate, resumes, and asks before deleting a partial download', async () => {
    const { context, page, logs } = await app.open('/?model=tiny-fp32');
    await context.route('**/models/tiny-fp32/unet/model.onnx', () => undefined);
    try {
      await page.locator(part('download-button')).click();
      await expect
        .poll(() => textOf(page, part('progress-text')), { timeout: 60_000 })
        .toMatch(/6\.4 MB of 6\.6 MB/);
      await page.locator(part('pause-button')).click();
      await expect.poll(() => textOf(page, part('first-run'))).toContain('Download paused');
      expect(await textOf(page, part('progress-text')), logs.join('\n')).toBe('Paused · 6.4 MB of 6.6 MB');
      expect(await textOf(page, part('download-button'))).toBe('Resume download');

      await page.locator(part('cancel-download-button')).click();
      expect(await textOf(page, part('confirm-delete'))).toContain('Delete the 6.4 MB downloaded so far?');
      await page.locator(part('keep-download-button')).click();
      expect(await page.locator(part('confirm-delete')).count()).toBe(0);
      expect(await textOf(page, part('first-run'))).toContain('6.4 MB of 6.6 MB are already stored');

      await page.locator(part('cancel-download-button')).click();
      await page.locator(part('confirm-delete-button')).click();
      await expect.poll(() => textOf(page, part('first-run'))).toMatch(/^Download the model \(6\.6 MB\)/);
      expect(await page.locator(part('resume-note')).count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});

describe('download failures in the element', () => {
  const UNET = '**/models/tiny-fp32/unet/model.onnx';

  it('names a file missing on the server and offers no Resume, which would only repeat the 404', async () => {
    const { context, page, logs } = await app.open('/?model=tiny-fp32');
    let requests = 0;
    await context.route(UNET, (route) => {
      requests++;
      return route.fulfill({ status: 404, body: 'not here' });
    });
    try {
      await page.locator(part('download-button')).click();
      const problem = page.locator(part('error'));
      await problem.waitFor({ timeout: 60_000 });
      expect(await problem.getAttribute('data-code'), logs.join('\n')).toBe('download-failed');
      const text = await textOf(page, part('error'));
      expect(text).toContain('Resuming would only repeat this.');
      expect(text).toMatch(
        /HTTP 404 .*for http:\/\/127\.0\.0\.1:\d+\/models\/tiny-fp32\/unet\/model\.onnx: the file is not on that server/,
      );
      expect(await page.locator(part('remedy-button')).count()).toBe(0);
      expect(requests).toBe(1);
    } finally {
      await context.close();
    }
  });

  it('offers Resume for a failure that a later download can get past (a 429 asking for an hour)', async () => {
    const { context, page, logs } = await app.open('/?model=tiny-fp32');
    await context.route(UNET, (route) =>
      route.fulfill({ status: 429, headers: { 'Retry-After': '3600' }, body: 'later' }),
    );
    try {
      await page.locator(part('download-button')).click();
      const problem = page.locator(part('error'));
      await problem.waitFor({ timeout: 60_000 });
      expect(await problem.getAttribute('data-code'), logs.join('\n')).toBe('download-failed');
      expect(await textOf(page, part('error'))).toContain('the server asks to retry after 3600 s');
      expect(await textOf(page, part('remedy-button'))).toBe('Resume download');
    } finally {
      await context.close();
    }
  });

  it(
    'says a stored file changed since its download is corrupt, and deletes and downloads it again',
    { tags: ['scale'] },
    async () => {
      const { context, page, logs } = await app.open('/?model=tiny-fp32');
      try {
        // Download (and try to load) once, then flip one bit of the stored text encoder in IndexedDB.
        const settled = page.evaluate(
          () =>
            new Promise((resolve) => {
              document.addEventListener('sd-ready', resolve, { once: true });
              document.addEventListener('sd-error', resolve, { once: true });
            }),
        );
        await page.locator(part('download-button')).click();
        await settled;
        await page.evaluate(async () => {
          const db = await new Promise<IDBDatabase>((resolve, reject) => {
            const request = indexedDB.open('sd-turbo-weights');
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          });
          const chunks = (mode: IDBTransactionMode) => db.transaction('chunks', mode).objectStore('chunks');
          const key = ['tiny-fp32', 'text_encoder/model.onnx', 0];
          const stored = await new Promise<Blob>((resolve) => {
            chunks('readonly').get(key).onsuccess = (event) =>
              resolve((event.target as IDBRequest<Blob>).result);
          });
          const chunk = new Uint8Array(await stored.arrayBuffer());
          chunk[1000] ^= 1;
          await new Promise(
            (resolve) => (chunks('readwrite').put(new Blob([chunk]), key).onsuccess = resolve),
          );
          db.close();
        });
        await page.reload();
        await page.locator(part('stored-note')).waitFor({ timeout: 30_000 });

        await page.locator(part('generate-button')).click();
        const problem = page.locator(part('error'));
        await problem.waitFor({ timeout: 60_000 });
        expect(await problem.getAttribute('data-code'), logs.join('\n')).toBe('corrupt');
        expect(await textOf(page, part('error'))).toContain(
          'text_encoder/model.onnx of model tiny-fp32 is corrupt in storage',
        );
        expect(await textOf(page, part('remedy-button'))).toBe('Delete and download again');

        const fetched: string[] = [];
        context.on('request', (request) => fetched.push(new URL(request.url()).pathname));
        await page.locator(part('remedy-button')).click();
        await expect
          .poll(() => fetched.filter((path) => path.endsWith('/text_encoder/model.onnx')).length, {
            timeout: 60_000,
          })
          .toBeGreaterThan(0);
      } finally {
        await context.close();
      }
    },
  );

  it('shows "retrying … (attempt k of n)" in the progress panel while a 503 is retried', async () => {
    const { context, page, logs } = await app.open('/?model=tiny-fp32');
    let failures = 0;
    await context.route(UNET, (route) =>
      ++failures <= 2 ? route.fulfill({ status: 503, body: 'busy' }) : route.continue(),
    );
    try {
      await page.locator(part('download-button')).click();
      await expect
        .poll(() => textOf(page, part('progress')), { timeout: 60_000 })
        .toMatch(/unet\/model\.onnx: HTTP 503 .*; retrying in [\d.]+ s \(attempt 2 of 6\)/);
      await expect
        .poll(() => textOf(page, part('progress')), { timeout: 60_000 })
        .toMatch(/\(attempt 3 of 6\)/);
      expect(await page.locator(part('error')).count(), logs.join('\n')).toBe(0);
    } finally {
      await context.close();
    }
  });
});

declare global {
  interface Window {
    imagesSeen: number;
    progressEvents: { phase: string; bytesDone: number; bytesTotal: number; files: number }[];
    componentTest: {
      ready: string[];
      counts: { workers: number; load: number; download: number };
    };
  }
}
