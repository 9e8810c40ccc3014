/**
 * Draw to image in `<sd-turbo>` on the app page (tiny-fp32, wasm): strokes drawn on the image-to-image
 * panel's sketch pad with the mouse and with dispatched pen and touch Pointer Events become the source image,
 * and image to image from them equals, pixel for pixel, image to image from the same pixels chosen as a PNG
 * file. In real-time mode a burst of strokes makes fewer images than strokes, and the last one equals a
 * Generate from the final drawing.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { openSettings, startTestApp, type TestApp } from './support/browser.js';

const part = (name: string) => `sd-turbo [part~="${name}"]`;

interface DrawnImage {
  prompt: string;
  seed: number;
  steps: number;
  unetSteps: number;
  /** Whether the VAE encoder ran: image to image. */
  encoded: boolean;
  pixels: number[];
}

interface PenPoint {
  x: number;
  y: number;
}

declare global {
  interface Window {
    /** Every `sd-image` since the page opened, with its pixels read from its bitmap as it arrived. */
    drawnImages: DrawnImage[];
  }
}

let app: TestApp;
let context: BrowserContext;
let page: Page;
let logs: string[];

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
  ({ context, page, logs } = await app.open('/?model=tiny-fp32&provider=wasm'));
  await page.evaluate(() => {
    window.drawnImages = [];
    document.addEventListener('sd-image', (event) => {
      const { prompt, seed, steps, timings, bitmap } = (event as CustomEvent).detail;
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d')!;
      context.drawImage(bitmap, 0, 0);
      const pixels = Array.from(context.getImageData(0, 0, bitmap.width, bitmap.height).data);
      const encoded = typeof timings.vaeEncoderMs === 'number';
      window.drawnImages.push({ prompt, seed, steps, unetSteps: timings.unetMs.length, encoded, pixels });
    });
  });
});

afterAll(async () => {
  await context?.close();
  await app?.close();
});

const imageCount = () => page.evaluate(() => window.drawnImages.length);
const lastImage = () => page.evaluate(() => window.drawnImages.at(-1)!);

/** Clicks Generate and resolves with the image it made. */
async function generated(): Promise<DrawnImage> {
  const before = await imageCount();
  await page.locator(part('generate-button')).click();
  await expect.poll(imageCount, { timeout: 60_000 }).toBe(before + 1);
  return lastImage();
}

/** The pad's canvas box on the page and its size in canvas pixels. */
function padCanvas() {
  return page.evaluate(() => {
    const pad = document.querySelector('sd-turbo')!.shadowRoot!.querySelector('sd-sketch-pad')!;
    const { left, top, width, height } = pad.shadowRoot!.querySelector('canvas')!.getBoundingClientRect();
    return { left, top, width, height, pixels: [pad.width, pad.height] };
  });
}

/** A stroke with the real mouse, through canvas pixels; `beforeUp` runs while the button is still down. */
async function mouseStroke(from: PenPoint, to: PenPoint, beforeUp?: () => Promise<void>): Promise<void> {
  // In view, as for a hand: the open Settings drawer above it can push the pad below the fold.
  await page.locator('sd-turbo sd-sketch-pad').scrollIntoViewIfNeeded();
  const box = await padCanvas();
  const scale = box.width / box.pixels[0];
  await page.mouse.move(box.left + from.x * scale, box.top + from.y * scale);
  await page.mouse.down();
  await page.mouse.move(box.left + to.x * scale, box.top + to.y * scale, { steps: 6 });
  await beforeUp?.();
  await page.mouse.up();
}

/**
 * Pen or touch strokes as Pointer Events dispatched on the pad's canvas, each stroke in a task of its own
 * (a hand drawing quickly); resolves once the last one is drawn.
 */
function dispatchStrokes(pointerType: 'pen' | 'touch', strokes: PenPoint[][]): Promise<void> {
  return page.evaluate(
    async ({ pointerType, strokes }) => {
      const pad = document.querySelector('sd-turbo')!.shadowRoot!.querySelector('sd-sketch-pad')!;
      const canvas = pad.shadowRoot!.querySelector('canvas')!;
      const box = canvas.getBoundingClientRect();
      const send = (type: string, { x, y }: { x: number; y: number }, pointerId: number) =>
        canvas.dispatchEvent(
          new PointerEvent(type, {
            pointerId,
            pointerType,
            isPrimary: true,
            button: type === 'pointermove' ? -1 : 0,
            buttons: type === 'pointerup' ? 0 : 1,
            pressure: type === 'pointerup' ? 0 : 0.5,
            clientX: box.left + (x * box.width) / canvas.width,
            clientY: box.top + (y * box.height) / canvas.height,
            bubbles: true,
            cancelable: true,
            composed: true,
          }),
        );
      for (const [index, points] of strokes.entries()) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        send('pointerdown', points[0], 20 + index);
        for (const point of points.slice(1)) send('pointermove', point, 20 + index);
        send('pointerup', points.at(-1)!, 20 + index);
      }
    },
    { pointerType, strokes },
  );
}

/** The pad's drawing as a PNG, encoded by the pad itself. */
async function drawingPng(): Promise<Buffer> {
  const bytes = await page.evaluate(async () => {
    const pad = document.querySelector('sd-turbo')!.shadowRoot!.querySelector('sd-sketch-pad')!;
    return Array.from(new Uint8Array(await (await pad.toBlob()).arrayBuffer()));
  });
  return Buffer.from(bytes);
}

describe('draw to image', () => {
  let fromDrawing: DrawnImage;

  it('makes the strokes drawn on the pad the source image: the same pixels as that drawing chosen as a PNG', async () => {
    await page.locator(part('download-button')).click({ timeout: 30_000 });
    await page.waitForSelector(part('first-run'), { state: 'detached', timeout: 60_000 });
    await page.locator(part('prompt')).fill('a lighthouse at dawn');
    await openSettings(page);
    await page.locator(part('seed-input')).fill('777');
    await page.locator(part('seed-input')).press('Tab');

    await page.locator(part('draw-button')).click();
    expect(await page.locator(part('draw-button')).getAttribute('aria-pressed')).toBe('true');
    const spoken = async () => ((await page.locator(part('status')).textContent()) ?? '').trim();
    expect(await spoken()).toBe(
      'Sketch pad shown: each stroke you draw with a mouse, pen or finger becomes the source image.',
    );
    expect((await padCanvas()).pixels).toEqual([64, 64]);
    await page.getByRole('radio', { name: 'Red', exact: true }).click();
    await mouseStroke({ x: 8, y: 10 }, { x: 56, y: 30 });
    await page.waitForSelector(part('source-preview'));
    // At strength 0.5 one step would run no UNet step: the drawing, like a chosen file, sets 2.
    expect(await page.locator(part('steps-select')).inputValue()).toBe('2');
    await dispatchStrokes('pen', [
      [
        { x: 40, y: 8 },
        { x: 30, y: 40 },
        { x: 20, y: 60 },
      ],
    ]);
    await dispatchStrokes('touch', [
      [
        { x: 4, y: 50 },
        { x: 60, y: 52 },
      ],
    ]);
    const source = () =>
      page.evaluate(() => {
        const image = document.querySelector('sd-turbo')!.sourceImage;
        return image instanceof ImageBitmap ? `bitmap ${image.width}x${image.height}` : String(image);
      });
    expect(await source()).toBe('bitmap 64x64');
    // The third stroke is in the source: it arrives after an asynchronous copy of the pad's pixels.
    await expect
      .poll(() => page.locator('sd-turbo sd-sketch-pad canvas').getAttribute('aria-label'))
      .toBe('Sketch, 3 strokes');

    fromDrawing = await generated();
    expect(fromDrawing, logs.join('\n')).toMatchObject({ seed: 777, steps: 2, unetSteps: 1, encoded: true });

    await page
      .locator(part('source-image-input'))
      .setInputFiles({ name: 'drawing.png', mimeType: 'image/png', buffer: await drawingPng() });
    await expect.poll(source).toBe('[object File]');
    const fromFile = await generated();
    expect(fromFile.unetSteps).toBe(1);
    expect(fromFile.pixels).toEqual(fromDrawing.pixels);

    // Clear on the pad makes the blank canvas the source: another picture, so other pixels.
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await expect.poll(source).toBe('bitmap 64x64');
    const fromBlank = await generated();
    expect(fromBlank.pixels).toHaveLength(fromDrawing.pixels.length);
    expect(fromBlank.pixels).not.toEqual(fromDrawing.pixels);
    await page.getByRole('button', { name: 'Undo', exact: true }).click();

    // Hidden and shown again, by keyboard: the same drawing, with its Undo.
    const padLabel = () => page.locator('sd-turbo sd-sketch-pad canvas').getAttribute('aria-label');
    await page.locator(part('draw-button')).press('Enter');
    expect(await page.locator(part('sketch-pad')).isVisible()).toBe(false);
    expect(await page.locator(part('draw-button')).getAttribute('aria-pressed')).toBe('false');
    expect(await spoken()).toBe('Sketch pad hidden.');
    await page.locator(part('draw-button')).press('Space');
    expect(await page.locator(part('sketch-pad')).isVisible()).toBe(true);
    expect(await padLabel()).toBe('Sketch, 3 strokes');
    expect(await page.getByRole('button', { name: 'Undo', exact: true }).isEnabled()).toBe(true);
  });

  it('in real-time mode makes fewer images than a burst of strokes, the last one from the final drawing', async () => {
    await page.locator(part('realtime-toggle')).check();
    const settled = async () => {
      await expect
        .poll(() => page.evaluate(() => document.querySelector('sd-turbo')!.generating), { timeout: 60_000 })
        .toBe(false);
    };
    // Turning real-time mode on makes an image at once; the burst starts after it.
    await expect.poll(imageCount, { timeout: 60_000 }).toBeGreaterThan(3);
    await settled();

    // A stroke still being drawn is followed too: an image arrives before the button is released.
    const beforeStroke = await imageCount();
    await mouseStroke({ x: 60, y: 4 }, { x: 4, y: 60 }, async () => {
      await expect.poll(imageCount, { timeout: 30_000 }).toBeGreaterThan(beforeStroke);
      expect(await page.locator('sd-turbo sd-sketch-pad canvas').getAttribute('aria-label')).toBe(
        'Sketch, 3 strokes',
      );
    });
    await settled();
    const before = await imageCount();

    const strokes = Array.from({ length: 8 }, (_, index) => [
      { x: 6 + index * 7, y: 4 },
      { x: 6 + index * 7, y: 60 },
    ]);
    await dispatchStrokes('touch', strokes);
    await expect.poll(imageCount, { timeout: 60_000 }).toBeGreaterThan(before);
    await settled();
    // Nothing waits behind the final drawing: no later image may arrive and replace it.
    await page.waitForTimeout(500);
    const made = (await imageCount()) - before;
    expect(made, logs.join('\n')).toBeGreaterThanOrEqual(1);
    expect(made).toBeLessThan(strokes.length);
    const last = await lastImage();
    expect(last).toMatchObject({ seed: 777, steps: 2, unetSteps: 1, encoded: true });

    await page.locator(part('realtime-toggle')).uncheck();
    const fresh = await page.evaluate(async () => {
      const host = document.querySelector('sd-turbo')!;
      const pad = host.shadowRoot!.querySelector('sd-sketch-pad')!;
      // Straight from the pad's pixels, not through the element's sourceImage that the strokes set.
      await host.generate({ sourceImage: await createImageBitmap(pad.toImageData()) });
      return window.drawnImages.at(-1)!;
    });
    expect(fresh).toMatchObject({ seed: 777, steps: 2, unetSteps: 1, encoded: true });
    expect(fresh.pixels).toEqual(last.pixels);
    expect(fresh.pixels).not.toEqual(fromDrawing.pixels);
  });
});
