/**
 * `<sd-sketch-pad>` in headless Chromium: strokes drawn with the mouse (page.mouse) and with dispatched pen
 * and touch Pointer Events, checked on the pad's pixels and events; undo and clear exact to the byte; the
 * throttled input events of a long stroke; the controls' names, states and keyboard order.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type OpenedPage, type TestApp } from './support/browser.js';

const WHITE = '255,255,255,255';
const RED = '220,38,38,255';
const BLACK = '0,0,0,255';
/** Every pixel of the 512x512 canvas. */
const WHOLE = [0, 0, 511, 511];

let app: TestApp;
let opened: OpenedPage;
let page: Page;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

beforeEach(async () => {
  opened = await app.openTestPage('/tests/pages/sketch-pad.html');
  page = opened.page;
});
afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.log(opened.logs.join('\n'));
  await opened.context.close();
});

/** A stroke with the real mouse, through canvas pixels; `steps` pointer moves between two points. */
async function mouseStroke(points: [number, number][], { steps = 4, pauseMs = 0 } = {}): Promise<number> {
  const { left, top, scale } = await page.evaluate(() => window.sketchTest.canvasBox());
  const onPage = ([x, y]: [number, number]): [number, number] => [left + x * scale, top + y * scale];
  await page.mouse.move(...onPage(points[0]));
  await page.mouse.down();
  let moves = 0;
  for (const point of points.slice(1)) {
    await page.mouse.move(...onPage(point), { steps });
    moves += steps;
    if (pauseMs > 0) await page.waitForTimeout(pauseMs);
  }
  await page.mouse.up();
  return moves;
}

const sketch = {
  colorsIn: (rectangle: number[]) => page.evaluate((r) => window.sketchTest.colorsIn(r), rectangle),
  inkBounds: () => page.evaluate(() => window.sketchTest.inkBounds()),
  snapshot: (name: string) => page.evaluate((n) => window.sketchTest.snapshot(n), name),
  differenceFrom: (name: string) => page.evaluate((n) => window.sketchTest.differenceFrom(n), name),
  events: (type: string) =>
    page.evaluate((t) => window.sketchTest.events.filter((event) => event.type === t), type),
  changes: async () => (await sketch.events('sd-sketch-change')).map((event) => event.strokes),
};

async function choose(role: 'button' | 'radio', name: string): Promise<void> {
  await page.getByRole(role, { name, exact: true }).click();
}

describe('<sd-sketch-pad>', () => {
  it('draws a mouse stroke in the chosen colour and size, mapped from its half-scale box', async () => {
    await choose('radio', 'Red');
    await choose('radio', 'Thick, 28 pixels');
    await mouseStroke([
      [100, 100],
      [400, 100],
    ]);

    // The line's core is the colour exactly; 14 pixels (half of 28) around it, the round caps; white beyond.
    expect(await sketch.colorsIn([110, 92, 390, 108])).toEqual({ [RED]: 281 * 17 });
    const [left, top, right, bottom] = (await sketch.inkBounds())!;
    for (const [edge, expected] of [
      [left, 86],
      [top, 86],
      [right, 414],
      [bottom, 114],
    ]) {
      expect(Math.abs(edge - expected)).toBeLessThanOrEqual(2);
    }
    expect(await sketch.changes()).toEqual([1]);
  });

  it('erases back to white, and Undo gives back the pixels before the eraser exactly', async () => {
    await choose('radio', 'Red');
    await choose('radio', 'Thick, 28 pixels');
    await mouseStroke([
      [100, 100],
      [400, 100],
    ]);
    await sketch.snapshot('before-eraser');
    await choose('button', 'Eraser');
    await choose('radio', 'Broad, 56 pixels');
    await mouseStroke([
      [200, 100],
      [300, 100],
    ]);
    expect(await sketch.colorsIn([190, 80, 310, 120])).toEqual({ [WHITE]: 121 * 41 });
    expect(await sketch.colorsIn([110, 92, 160, 108])).toEqual({ [RED]: 51 * 17 });
    expect(await sketch.differenceFrom('before-eraser')).toBeGreaterThan(0);

    await choose('button', 'Undo');
    expect(await sketch.differenceFrom('before-eraser')).toBe(0);
    // Ctrl+Z while the pad has focus (the canvas took it when drawn on) takes back the first stroke.
    await page.keyboard.press('Control+z');
    expect(await sketch.colorsIn(WHOLE)).toEqual({ [WHITE]: 512 * 512 });
    expect(await sketch.changes()).toEqual([1, 2, 1, 0]);
    await expect(page.getByRole('button', { name: 'Undo' }).isDisabled()).resolves.toBe(true);
  });

  it('clears (undoably) and says how many strokes it shows after each change', async () => {
    await mouseStroke([
      [50, 50],
      [200, 200],
    ]);
    await mouseStroke([
      [300, 50],
      [450, 300],
      [300, 450],
    ]);
    await sketch.snapshot('two-strokes');
    await choose('button', 'Clear');
    expect(await sketch.colorsIn(WHOLE)).toEqual({ [WHITE]: 512 * 512 });
    await expect(page.getByRole('button', { name: 'Clear' }).isDisabled()).resolves.toBe(true);
    await choose('button', 'Undo');
    expect(await sketch.differenceFrom('two-strokes')).toBe(0);
    expect(await sketch.changes()).toEqual([1, 2, 0, 2]);
    expect(await page.evaluate(() => document.querySelector('sd-sketch-pad')!.strokeCount)).toBe(2);
  });

  it('follows a pen: its width grows with pressure', async () => {
    const points = Array.from({ length: 41 }, (_, i) => ({
      x: 50 + i * 10,
      y: 300,
      pressure: 0.1 + i * 0.0225,
    }));
    await page.evaluate((p) => window.sketchTest.dispatchStroke('pen', p), points);
    const light = await page.evaluate(() => window.sketchTest.inkInColumn(100));
    const firm = await page.evaluate(() => window.sketchTest.inkInColumn(400));
    // The brush (12) at pressure 0.21 is about 7 pixels wide, at 0.89 about 19.
    expect(light).toBeGreaterThanOrEqual(5);
    expect(light).toBeLessThanOrEqual(10);
    expect(firm).toBeGreaterThanOrEqual(17);
    expect(firm).toBeLessThanOrEqual(23);
    expect(await sketch.colorsIn([380, 298, 420, 302])).toEqual({ [BLACK]: 41 * 5 });
    expect(await sketch.changes()).toEqual([1]);
  });

  it('follows a finger, and drops the stroke when the browser cancels the touch', async () => {
    const line = (y: number) => Array.from({ length: 20 }, (_, i) => ({ x: 60 + i * 20, y }));
    await page.evaluate((p) => window.sketchTest.dispatchStroke('touch', p), line(200));
    expect(await sketch.colorsIn([70, 198, 430, 202])).toEqual({ [BLACK]: 361 * 5 });
    await sketch.snapshot('one-touch');

    await page.evaluate((p) => window.sketchTest.dispatchStroke('touch', p, { cancel: true }), line(400));
    expect(await sketch.differenceFrom('one-touch')).toBe(0);
    expect(await sketch.changes()).toEqual([1]);
    const inputs = await sketch.events('sd-sketch-input');
    expect(inputs.at(-1)!.strokes).toBe(1);
  });

  it('reports a long stroke in progress at most every 150 ms, fewer times than the pointer moved', async () => {
    const path = Array.from({ length: 30 }, (_, i): [number, number] => [40 + i * 14, 256 + (i % 2) * 40]);
    const started = Date.now();
    const moves = await mouseStroke(path, { steps: 2, pauseMs: 20 });
    const elapsedMs = Date.now() - started;

    const inputs = await sketch.events('sd-sketch-input');
    const [change] = await sketch.events('sd-sketch-change');
    // The pauses alone make the stroke last over 600 ms: the first move and at least one more report it.
    expect(inputs.length).toBeGreaterThanOrEqual(2);
    expect(inputs.length).toBeLessThan(moves);
    expect(inputs.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / 150) + 1);
    expect(inputs.every((input) => input.strokes === 1 && input.time < change.time)).toBe(true);
    const gaps = inputs.slice(1).map((input, i) => input.time - inputs[i].time);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(145);
    // Nothing is left to report once the stroke is done: the change event says it all.
    await page.waitForTimeout(300);
    expect((await sketch.events('sd-sketch-input')).length).toBe(inputs.length);
  });

  it('names its controls, marks the pressed tool and chosen options, and is reachable by keyboard', async () => {
    const snapshot = await page.locator('sd-sketch-pad').ariaSnapshot();
    for (const line of [
      'button "Pen" [pressed]',
      'button "Eraser"',
      'radiogroup "Colour"',
      'radio "Black" [checked]',
      'radio "White"',
      'radiogroup "Brush size"',
      'radio "Medium, 12 pixels" [checked]',
      'button "Undo" [disabled]',
      'button "Clear" [disabled]',
      'img "Sketch, 0 strokes"',
    ]) {
      expect(snapshot).toContain(line);
    }

    const focused = () =>
      page.evaluate(() => {
        const active = document.querySelector('sd-sketch-pad')!.shadowRoot!
          .activeElement as HTMLElement | null;
        return active?.getAttribute('aria-label') ?? active?.textContent?.trim() ?? '';
      });
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    expect(order).toEqual(['Pen', 'Eraser', 'Black', 'Medium, 12 pixels', 'Sketch, 0 strokes']);

    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('ArrowRight');
    expect(await focused()).toBe('White');
    expect(await page.evaluate(() => document.querySelector('sd-sketch-pad')!.color)).toBe('#ffffff');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Space');
    const eraser = page.getByRole('button', { name: 'Eraser' });
    await expect(eraser.getAttribute('aria-pressed')).resolves.toBe('true');
    await expect(page.getByRole('button', { name: 'Pen' }).getAttribute('aria-pressed')).resolves.toBe(
      'false',
    );
    const outline = await eraser.evaluate((button) => getComputedStyle(button).outlineStyle);
    expect(outline).toBe('solid');
  });

  it("follows the page's colour scheme in its controls and keeps a white canvas", async () => {
    const penBackground = () =>
      page
        .getByRole('button', { name: 'Pen' })
        .evaluate((button) => getComputedStyle(button).backgroundColor);
    expect(await penBackground()).toBe('rgb(79, 70, 229)');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await penBackground()).toBe('rgb(129, 140, 248)');
    expect(await sketch.colorsIn(WHOLE)).toEqual({ [WHITE]: 512 * 512 });
  });

  it('starts from a picture, encodes PNG, resizes, and refuses bad input with a clear error', async () => {
    const result = await page.evaluate(async () => {
      const pad = document.querySelector('sd-sketch-pad')!;
      const picture = new OffscreenCanvas(64, 32);
      const context = picture.getContext('2d')!;
      context.fillStyle = '#0000ff';
      context.fillRect(0, 0, 64, 32);
      await pad.loadImage(await picture.convertToBlob());
      const png = await pad.toBlob();
      const decoded = await createImageBitmap(png);
      const signature = Array.from(new Uint8Array(await png.slice(0, 8).arrayBuffer()));
      const refusals: string[] = [];
      await pad.loadImage('a.png' as unknown as Blob).catch((error: Error) => refusals.push(error.message));
      for (const refused of [() => (pad.width = 0), () => (pad.color = 'reddish')]) {
        try {
          refused();
        } catch (error) {
          refusals.push((error as Error).message);
        }
      }
      pad.setAttribute('width', '256');
      pad.setAttribute('height', '128');
      const resized = pad.toImageData();
      return {
        type: png.type,
        signature,
        size: [decoded.width, decoded.height],
        refusals,
        resized: [resized.width, resized.height],
      };
    });
    expect(result.type).toBe('image/png');
    expect(result.signature).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(result.size).toEqual([512, 512]);
    expect(result.refusals).toEqual([
      'loadImage needs an ImageBitmap, an HTMLImageElement or a Blob',
      'sd-sketch-pad width must be a whole number of pixels from 1 to 4096, not 0',
      'sd-sketch-pad color must be a CSS colour, not "reddish"',
    ]);
    expect(result.resized).toEqual([256, 128]);
    expect(await sketch.colorsIn([0, 0, 255, 127])).toEqual({ '0,0,255,255': 256 * 128 });
    expect(await sketch.changes()).toEqual([0]);
  });
});
