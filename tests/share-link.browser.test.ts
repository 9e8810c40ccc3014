/**
 * Links that reproduce: after a Generate the app's URL (and the Share button's copy of it) carries the
 * prompt, seed, steps, count and size; opening it in a new tab restores them, and one click on Generate
 * makes the same pixels. A link with a bad value shows the attribute's own error. The tiny model on wasm,
 * where equal inputs give equal bytes; one context, so the second tab finds the model stored.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { openSettings, startTestApp, type TestApp } from './support/browser.js';

const part = (name: string) => `sd-turbo [part~="${name}"]`;
const WASM_APP = '/?model=tiny-fp32&provider=wasm';

interface MadeImage {
  seed: number;
  width: number;
  height: number;
  /** SHA-256 of the RGBA pixels, hex. */
  digest: string;
}

let app: TestApp;
let context: BrowserContext;

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
  ({ context } = await app.open('/?dev', {
    prepare: (opened) =>
      opened.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.origin }),
  }));
});

afterAll(() => app?.close());

/** Records every `sd-image` of the page: its seed, size and a digest of its pixels, in order. */
async function recordImages(page: Page): Promise<() => Promise<MadeImage[]>> {
  await page.evaluate(() => {
    const made: Promise<MadeImage>[] = [];
    (window as unknown as { madeImages: Promise<MadeImage>[] }).madeImages = made;
    document.addEventListener('sd-image', (event) => {
      const { bitmap, seed, width, height } = (event as CustomEvent).detail;
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d')!;
      context.drawImage(bitmap, 0, 0);
      const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
      made.push(
        crypto.subtle.digest('SHA-256', pixels).then((hash) => ({
          seed,
          width,
          height,
          digest: [...new Uint8Array(hash)].map((byte) => byte.toString(16).padStart(2, '0')).join(''),
        })),
      );
    });
  });
  return () =>
    page.evaluate(() => Promise.all((window as unknown as { madeImages: Promise<MadeImage>[] }).madeImages));
}

async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

describe('a shared link', () => {
  let link: string;
  let original: MadeImage[];

  it('is the address after a Generate, and Share copies it', async () => {
    const page = await context.newPage();
    await page.goto(`${app.origin}${WASM_APP}`);
    await page.locator(part('download-button')).click({ timeout: 30_000 });
    await page.waitForSelector(part('first-run'), { state: 'detached', timeout: 60_000 });
    expect(await page.locator('#share-link').isDisabled()).toBe(true);

    const images = await recordImages(page);
    await page.locator(part('prompt')).fill('a harbour at night & fog');
    await openSettings(page);
    await page.locator(part('steps-select')).selectOption('2');
    await page.locator(part('count-select')).selectOption('2');
    await page.evaluate(() => document.querySelector('sd-turbo')!.setAttribute('width', '128'));
    await page.locator(part('generate-button')).click();
    await expect.poll(async () => (await images()).length, { timeout: 60_000 }).toBe(2);
    original = await images();
    // No seed was set: a random first seed, then the next one.
    expect(original[1].seed).toBe((original[0].seed + 1) % 2 ** 32);

    await page.locator('#share-link').click();
    await expect.poll(() => textOf(page, '#share-status')).toContain('Link copied');
    link = await page.evaluate(() => navigator.clipboard.readText());
    expect(link).toBe(page.url());
    const params = new URL(link).searchParams;
    expect(Object.fromEntries(params)).toMatchObject({
      model: 'tiny-fp32',
      provider: 'wasm',
      prompt: 'a harbour at night & fog',
      seed: String(original[0].seed),
      steps: '2',
      count: '2',
      width: '128',
      height: '64',
    });
    expect(original.map((image) => [image.width, image.height])).toEqual([
      [128, 64],
      [128, 64],
    ]);
    await page.close();
  });

  it('opens with those values, and one click makes the same pixels', async () => {
    const page = await context.newPage();
    await page.goto(link);
    await page.waitForSelector(part('generate-button'), { timeout: 30_000 });
    expect(await page.locator(part('prompt')).inputValue()).toBe('a harbour at night & fog');
    expect(await page.locator(part('seed-input')).inputValue()).toBe(String(original[0].seed));
    expect(await page.locator(part('steps-select')).inputValue()).toBe('2');
    expect(await page.locator(part('count-select')).inputValue()).toBe('2');

    const images = await recordImages(page);
    await page.locator(part('generate-button')).click();
    await expect.poll(async () => (await images()).length, { timeout: 60_000 }).toBe(2);
    expect(await images()).toEqual(original);
    await page.close();
  });

  it('with a bad value shows the error the attribute gives, and makes no image', async () => {
    const page = await context.newPage();
    await page.goto(`${app.origin}${WASM_APP}&seed=12ab&count=9`);
    await page.waitForSelector(part('generate-button'), { timeout: 30_000 });
    const fromLink = [await textOf(page, part('seed-error')), await textOf(page, part('count-error'))];
    expect(fromLink[0]).toContain('"12ab" is not a seed');
    expect(fromLink[1]).toContain('9');

    await page.evaluate(() => {
      const generator = document.querySelector('sd-turbo')!;
      for (const name of ['seed', 'count']) generator.removeAttribute(name);
    });
    await expect.poll(() => page.locator(part('seed-error')).count()).toBe(0);
    await page.evaluate(() => {
      const generator = document.querySelector('sd-turbo')!;
      generator.setAttribute('seed', '12ab');
      generator.setAttribute('count', '9');
    });
    await expect
      .poll(async () => [await textOf(page, part('seed-error')), await textOf(page, part('count-error'))])
      .toEqual(fromLink);

    const images = await recordImages(page);
    await page.locator(part('generate-button')).click();
    await expect.poll(() => textOf(page, part('status'))).toContain('Fix the setting');
    expect(await images()).toEqual([]);
    await page.close();
  });
});
