/**
 * `width` and `height`: the element makes a 128x64 image on tiny-fp32 (wasm) whose pixels are the same
 * computation done stage by stage with ORT's own sessions at that size (tests/pages/sizes-page.ts), and its
 * file name and PNG metadata carry the size. The attributes reflect, fall back to the model's size when
 * removed, and keep an invalid value with its error next to the Size control.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { readPngText } from '../src/image-file/png-metadata.js';
import { startTestApp, type TestApp } from './support/browser.js';

let app: TestApp;
let page: Page;
let logs: string[];

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
  ({ page, logs } = await app.openTestPage('/tests/pages/sizes.html'));
});

afterAll(() => app?.close());

describe('<sd-turbo width="128" height="64"> on tiny-fp32 (wasm)', () => {
  it(
    'makes a 128x64 image equal to the stage-by-stage computation at that size',
    { timeout: 120_000 },
    async () => {
      const made = await page.evaluate(async () => {
        const el = document.querySelector('sd-turbo')!;
        const loaded = await el.load();
        const detail = await el.generate({ seed: 5 });
        const png = new Uint8Array(await (await detail.toBlob()).arrayBuffer());
        return {
          provider: loaded.provider.provider,
          size: [detail.width, detail.height, detail.bitmap.width, detail.bitmap.height],
          fileName: detail.fileName,
          png: Array.from(png),
          pixels: window.sizesTest.bitmapPixels(detail.bitmap),
        };
      });
      expect(made.provider, logs.join('\n')).toBe('wasm');
      expect(made.size).toEqual([128, 64, 128, 64]);
      expect(made.fileName).toBe('sd-turbo_5_a-tall-lighthouse_128x64.png');
      expect(readPngText(new Uint8Array(made.png))).toMatchObject({ size: '128x64', seed: '5' });
      const reference = await page.evaluate(() =>
        window.sizesTest.stageByStage({
          modelId: 'tiny-fp32',
          prompt: 'a tall lighthouse',
          seed: 5,
          width: 128,
          height: 64,
        }),
      );
      expect(made.pixels.length).toBe(128 * 64 * 4);
      expect(made.pixels).toEqual(reference);
      // Not the 64x64 image stretched: the columns' right half is no copy of the left.
      expect(made.pixels.slice(0, 256)).not.toEqual(made.pixels.slice(256, 512));

      // generate() options override the attributes; without them the model's own size comes back.
      const sizes = await page.evaluate(async () => {
        const el = document.querySelector('sd-turbo')!;
        const tall = await el.generate({ seed: 5, width: 64, height: 128 });
        // Image to image: a 64x64 picture is cropped and resized to the 128x64 asked for.
        const picture = new ImageData(64, 64);
        picture.data.fill(200);
        const sourceImage = await createImageBitmap(picture);
        const fromPicture = await el.generate({ seed: 5, sourceImage, strength: 0.5, steps: 2 });
        el.removeAttribute('width');
        el.removeAttribute('height');
        const square = await el.generate({ seed: 5 });
        return [tall, fromPicture, square].map((detail) => `${detail.bitmap.width}x${detail.bitmap.height}`);
      });
      expect(sizes).toEqual(['64x128', '128x64', '64x64']);
    },
  );

  it('reflects the attributes, offers the presets and keeps an invalid size with its error', async () => {
    const state = await page.evaluate(async () => {
      const el = document.querySelector('sd-turbo')!;
      el.width = 128;
      await el.updateComplete;
      const reflected = el.getAttribute('width');
      const options = Array.from(
        el.shadowRoot!.querySelectorAll<HTMLOptionElement>('[part~="size-select"] option'),
        (option) => option.textContent!.replace(/\s+/g, ' ').trim(),
      );
      el.setAttribute('height', '100');
      await el.updateComplete;
      const error = el.shadowRoot!.querySelector('[part~="size-error"]')?.textContent;
      const refusal = await el.generate().then(
        () => 'made',
        (caught: Error) => caught.message,
      );
      el.removeAttribute('width');
      el.removeAttribute('height');
      await el.updateComplete;
      return {
        reflected,
        options,
        error,
        refusal,
        after: [el.width, el.height, el.shadowRoot!.querySelector('[part~="size-error"]')],
      };
    });
    expect(state.reflected).toBe('128');
    expect(state.options).toEqual(['1:1 (64×64)', '3:2 / 16:9 (128×64)', '2:3 / 9:16 (64×128)']);
    expect(state.error).toBe('"100" is not an image height: use a multiple of 64 from 64 to 256.');
    expect(state.refusal).toBe(state.error);
    expect(state.after).toEqual([null, null, null]);
  });
});
