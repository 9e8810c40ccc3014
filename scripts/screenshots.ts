/**
 * `npm run screenshots`: the app at 1280 and 360 px, idle, busy, with images and with an error, in light
 * and dark, as docs/screenshots/app-<state>-<width>-<scheme>.png, plus the README's hero.png, and the
 * features at 1280 px in light: real-time mode, image to image and the saved gallery
 * (feature-<name>.png). It runs the dev server and headless Chromium on the tiny test model, whose random
 * weights draw noise: the pictures show the app around the image, not the model.
 *
 * Each app state is reached once and shot at every width and scheme (the viewport resized, the scheme
 * emulated): loading the model on SwiftShader takes minutes, so it is not repeated four times.
 *
 * `npm run screenshots -- feature-realtime feature-image-to-image` makes only the shots named (an app
 * state such as `busy` names all four of its shots).
 */
import { mkdir } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureTinyModels } from './tiny-models/index.js';
import { launchChromium, startDevServer } from '../tests/support/browser.js';

const OUT = 'docs/screenshots';
const WIDTHS = [1280, 360] as const;
const SCHEMES = ['light', 'dark'] as const;
const PROMPT = 'a lighthouse on a rocky coast at dawn, watercolor';
const part = (name: string) => `sd-turbo [part~="${name}"]`;

type Shot = (state: string) => Promise<void>;

/** The shots asked for on the command line; all when none are. */
const ONLY = process.argv.slice(2);
const wanted = (...names: string[]): boolean =>
  ONLY.length === 0 || names.some((name) => ONLY.includes(name));

const viewport = (width: number) => ({ width, height: width > 600 ? 860 : 780 });

async function newPage(browser: Browser, width: number, scheme: string): Promise<[BrowserContext, Page]> {
  const context = await browser.newContext({
    viewport: viewport(width),
    colorScheme: scheme === 'dark' ? 'dark' : 'light',
  });
  return [context, await context.newPage()];
}

/** The page as it is now, at each width and in each scheme: app-<state>-<width>-<scheme>.png. */
async function shootAllVariants(page: Page, state: string): Promise<void> {
  for (const width of WIDTHS) {
    await page.setViewportSize(viewport(width));
    for (const scheme of SCHEMES) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.waitForTimeout(150);
      await page.screenshot({ path: `${OUT}/app-${state}-${width}-${scheme}.png`, fullPage: true });
      console.log(`${state} ${width} ${scheme}`);
      if (state === 'image' && width === 1280 && scheme === 'light' && wanted('hero')) {
        await page.screenshot({ path: `${OUT}/hero.png`, fullPage: true });
        console.log('hero');
      }
    }
  }
  await page.setViewportSize(viewport(WIDTHS[0]));
  await page.emulateMedia({ colorScheme: 'light' });
}

function nextImage(page: Page): Promise<unknown> {
  return page.evaluate(
    () => new Promise((resolve) => document.addEventListener('sd-image', resolve, { once: true })),
  );
}

/** Idle (the first-run panel), busy (loading, then generating), and three images in the gallery. */
async function happyPath(page: Page, baseUrl: string, shot: Shot): Promise<void> {
  await page.goto(`${baseUrl}/?model=tiny-fp32`);
  await page.locator(part('first-run')).waitFor();
  await page.locator(part('prompt')).fill(PROMPT);
  await shot('idle');
  await page.locator(part('download-button')).click();
  await page.locator(part('first-run')).waitFor({ state: 'detached', timeout: 120_000 });
  for (const seed of [11, 12, 13]) {
    const image = nextImage(page);
    await page.evaluate((s) => document.querySelector('sd-turbo')!.setAttribute('seed', String(s)), seed);
    await page.locator(part('generate-button')).click();
    await image;
  }
  await page.evaluate(() => document.querySelector('sd-turbo')!.removeAttribute('seed'));
  await shot('image');
  // A reload forgets the loaded model: the next Generate shows the busy state while the model loads.
  await page.reload();
  await page.locator(part('stored-note')).waitFor();
  await page.locator(part('prompt')).fill(PROMPT);
  await page.locator(part('generate-button')).click();
  await page.locator(part('busy')).waitFor();
  await page.waitForTimeout(400);
  await shot('busy');
}

/** A download whose server answers 404: the error panel, and an invalid seed (opening Settings) marked on its control. */
async function errorPath(page: Page, baseUrl: string, shot: Shot): Promise<void> {
  await page.route('**/models/tiny-fp32/unet/model.onnx', (route) => route.fulfill({ status: 404 }));
  await page.goto(`${baseUrl}/?model=tiny-fp32`);
  await page.evaluate(() => document.querySelector('sd-turbo')!.setAttribute('seed', '-1'));
  await page.locator(part('download-button')).click();
  await page.locator(part('error')).waitFor({ timeout: 60_000 });
  await shot('error');
}

/** Downloads and loads the tiny model from the first-run panel. */
async function readyApp(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/?model=tiny-fp32`);
  await page.locator(part('download-button')).click();
  await page.locator(part('first-run')).waitFor({ state: 'detached', timeout: 120_000 });
  // Loaded and warmed up: real time's images/s and latency are then those of making images, not loading.
  await page.locator(part('load-note')).waitFor({ state: 'attached', timeout: 120_000 });
}

/** Real time ticked and a prompt typed key by key: the last image, images/s and the latency under it. */
async function realtimeShot(page: Page): Promise<void> {
  await page.locator(part('realtime-toggle')).check();
  await page.locator(part('prompt')).fill('');
  await page.locator(part('prompt')).pressSequentially(PROMPT, { delay: 40 });
  await page.waitForFunction(
    (prompt) =>
      document
        .querySelector('sd-turbo')!
        .shadowRoot!.querySelector('[part~="image"]')
        ?.getAttribute('aria-label')
        ?.includes(`"${prompt}"`),
    PROMPT,
    { timeout: 120_000 },
  );
  await page.waitForFunction(() => !document.querySelector('sd-turbo')!.generating);
}

/** A picture drawn in the page (sky, sun, sea) as a PNG, as a person would choose one. */
async function sourcePicture(page: Page): Promise<Buffer> {
  const bytes = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(256, 256);
    const context = canvas.getContext('2d')!;
    const sky = context.createLinearGradient(0, 0, 0, 160);
    sky.addColorStop(0, '#1d3b8a');
    sky.addColorStop(1, '#f4a259');
    context.fillStyle = sky;
    context.fillRect(0, 0, 256, 160);
    context.fillStyle = '#ffd166';
    context.beginPath();
    context.arc(170, 150, 36, 0, Math.PI * 2);
    context.fill();
    context.fillStyle = '#0b6e8a';
    context.fillRect(0, 160, 256, 96);
    context.fillStyle = '#3d2c1e';
    context.fillRect(60, 70, 22, 110);
    const png = await canvas.convertToBlob({ type: 'image/png' });
    return Array.from(new Uint8Array(await png.arrayBuffer()));
  });
  return Buffer.from(bytes);
}

/** Image to image: the source picture on its panel with the strength, and the image made from it. */
async function imageToImageShot(page: Page): Promise<void> {
  await page.locator(part('prompt')).fill(PROMPT);
  await page.evaluate(() => document.querySelector('sd-turbo')!.setAttribute('seed', '21'));
  await page
    .locator(part('source-image-input'))
    .setInputFiles({ name: 'coast.png', mimeType: 'image/png', buffer: await sourcePicture(page) });
  await page.locator(part('source-preview')).waitFor();
  const image = nextImage(page);
  await page.locator(part('generate-button')).click();
  await image;
  await page.getByText('Stage timings').click();
}

/** Four images made with Generate, listed under "Saved in this browser". */
async function savedGalleryShot(page: Page): Promise<void> {
  await page.locator(part('prompt')).fill(PROMPT);
  for (const seed of [31, 32, 33, 34]) {
    const image = nextImage(page);
    await page.evaluate((s) => document.querySelector('sd-turbo')!.setAttribute('seed', String(s)), seed);
    await page.locator(part('generate-button')).click();
    await image;
  }
  await page.waitForFunction(
    () =>
      document.querySelector('sd-turbo')!.shadowRoot!.querySelectorAll('[part~="saved-image"]').length === 4,
  );
  await page.locator(part('gallery')).scrollIntoViewIfNeeded();
}

const FEATURES: [string, (page: Page) => Promise<void>][] = [
  ['feature-realtime', realtimeShot],
  ['feature-image-to-image', imageToImageShot],
  ['feature-saved-gallery', savedGalleryShot],
];

async function featureShots(browser: Browser, baseUrl: string): Promise<void> {
  for (const [name, show] of FEATURES) {
    if (!wanted(name)) continue;
    const [context, page] = await newPage(browser, 1280, 'light');
    await readyApp(page, baseUrl);
    await show(page);
    // The toasts fade on their own; the shot is of the app, not of a passing note.
    await page.waitForTimeout(4500);
    await page.screenshot({ path: `${OUT}/${name}.png`, fullPage: true });
    console.log(name);
    await context.close();
  }
}

async function main(): Promise<void> {
  await ensureTinyModels();
  await mkdir(OUT, { recursive: true });
  const { server, url } = await startDevServer();
  const browser = await launchChromium({ webgpu: true });
  try {
    await featureShots(browser, url);
    for (const path of [happyPath, errorPath]) {
      const states = path === happyPath ? ['idle', 'image', 'busy', 'hero'] : ['error'];
      if (!wanted(...states)) continue;
      const [context, page] = await newPage(browser, WIDTHS[0], 'light');
      await path(page, url, async (state) => {
        if (wanted(state) || (state === 'image' && wanted('hero'))) await shootAllVariants(page, state);
      });
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
