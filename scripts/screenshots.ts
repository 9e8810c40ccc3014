/**
 * `npm run screenshots`: the app at 1280 and 360 px, idle, busy, with images and with an error, in light
 * and dark, as docs/screenshots/app-<state>-<width>-<scheme>.png, plus the README's hero.png. It runs the
 * dev server and headless Chromium on the tiny test model, whose random weights draw noise: the pictures
 * show the app around the image, not the model.
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

async function newPage(browser: Browser, width: number, scheme: string): Promise<[BrowserContext, Page]> {
  const context = await browser.newContext({
    viewport: { width, height: width > 600 ? 860 : 780 },
    colorScheme: scheme === 'dark' ? 'dark' : 'light',
  });
  return [context, await context.newPage()];
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
  await page.getByText('Settings', { exact: true }).click();
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

/** A download whose server answers 404: the error panel, and an invalid seed marked on its control. */
async function errorPath(page: Page, baseUrl: string, shot: Shot): Promise<void> {
  await page.route('**/models/tiny-fp32/unet/model.onnx', (route) => route.fulfill({ status: 404 }));
  await page.goto(`${baseUrl}/?model=tiny-fp32`);
  await page.evaluate(() => document.querySelector('sd-turbo')!.setAttribute('seed', '-1'));
  await page.locator(part('download-button')).click();
  await page.locator(part('error')).waitFor({ timeout: 60_000 });
  await shot('error');
}

async function main(): Promise<void> {
  await ensureTinyModels();
  await mkdir(OUT, { recursive: true });
  const { server, url } = await startDevServer();
  const browser = await launchChromium({ webgpu: true });
  try {
    for (const width of WIDTHS) {
      for (const scheme of SCHEMES) {
        for (const path of [happyPath, errorPath]) {
          const [context, page] = await newPage(browser, width, scheme);
          const shot: Shot = async (state) => {
            await page.screenshot({ path: `${OUT}/app-${state}-${width}-${scheme}.png`, fullPage: true });
            if (state === 'image' && width === 1280 && scheme === 'light') {
              await page.screenshot({ path: `${OUT}/hero.png`, fullPage: true });
            }
            console.log(`${state} ${width} ${scheme}`);
          };
          await path(page, url, shot);
          await context.close();
        }
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
