/**
 * `<sd-turbo>`'s modes on the app page with tiny-fp32: real time (typing makes images through the
 * latest-wins scheduler, so a burst of keystrokes yields few images, never one for older text after newer
 * text), image to image (a source picture through the file input, a drop or a paste; hidden for models
 * without an encoder), progress while an image is made, and the saved gallery.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { openSettings, startTestApp, type TestApp } from './support/browser.js';

const part = (name: string) => `sd-turbo [part~="${name}"]`;
/**
 * The app on the wasm EP: these checks are about the element, not the EP, and a tiny model loads in about a
 * second on wasm against 20 s or more on SwiftShader's WebGPU. Keystrokes 15 ms apart still arrive while a
 * wasm image is made (tens of ms), so real time is shown here too; tests/pipeline.browser.test.ts runs image
 * to image on WebGPU.
 */
const WASM_APP = '/?model=tiny-fp32&provider=wasm';

let app: TestApp;

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
});

afterAll(() => app?.close());

/** Downloads the model from the first-run panel and waits until the panel is gone. */
async function downloadModel(page: Page): Promise<void> {
  await page.locator(part('download-button')).click({ timeout: 30_000 });
  await page.waitForSelector(part('first-run'), { state: 'detached', timeout: 60_000 });
}

/** Starts recording the prompt of every `sd-image`, in the order the element emits them. */
async function recordImagePrompts(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const prompts: string[] = [];
    (window as unknown as { imagePrompts: string[] }).imagePrompts = prompts;
    document.addEventListener('sd-image', (event) => prompts.push((event as CustomEvent).detail.prompt));
  });
  return () => page.evaluate(() => [...(window as unknown as { imagePrompts: string[] }).imagePrompts]);
}

async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

interface ImageSummary {
  prompt: string;
  seed: number;
  steps: number;
  unetSteps: number;
  /** Whether the VAE encoder ran: image to image. */
  encoded: boolean;
}

/** Resolves with the element's next `sd-image`: its prompt, seed and the stages that ran. */
function nextImage(page: Page): Promise<ImageSummary> {
  return page.evaluate(
    () =>
      new Promise<ImageSummary>((resolve) =>
        document.addEventListener(
          'sd-image',
          (event) => {
            const { prompt, seed, steps, timings } = (event as CustomEvent).detail;
            const encoded = typeof timings.vaeEncoderMs === 'number';
            resolve({ prompt, seed, steps, unetSteps: timings.unetMs.length, encoded });
          },
          { once: true },
        ),
      ),
  );
}

/** The shown image's RGBA pixels, read from the element's canvas. */
function shownPixels(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const canvas = document
      .querySelector('sd-turbo')!
      .shadowRoot!.querySelector<HTMLCanvasElement>('canvas.image')!;
    return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data);
  });
}

/** A 64 × 64 PNG with a red and a blue half, encoded by the page's own canvas. */
async function twoColourPng(page: Page): Promise<Buffer> {
  const bytes = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(64, 64);
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#e02020';
    context.fillRect(0, 0, 32, 64);
    context.fillStyle = '#2040e0';
    context.fillRect(32, 0, 32, 64);
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  return Buffer.from(bytes);
}

describe('real-time mode on the app page', () => {
  let context: BrowserContext;
  let page: Page;
  let logs: string[];

  beforeAll(async () => {
    ({ context, page, logs } = await app.open(WASM_APP));
  });
  afterAll(() => context?.close());

  it('makes fewer images than keystrokes, ends on the final prompt, and never shows older text after newer', async () => {
    await downloadModel(page);
    await page.locator(part('prompt')).fill('');
    await page.locator(part('realtime-toggle')).check();
    expect(await page.locator('sd-turbo').getAttribute('realtime')).toBe('');
    const imagePrompts = await recordImagePrompts(page);

    const finalPrompt = 'a red fox in the sno';
    expect(finalPrompt).toHaveLength(20);
    await page.locator(part('prompt')).pressSequentially(finalPrompt, { delay: 15 });

    await expect.poll(async () => (await imagePrompts()).at(-1), { timeout: 60_000 }).toBe(finalPrompt);
    // Nothing waits behind the final prompt: no later image may arrive and replace it.
    await page.waitForTimeout(500);
    const prompts = await imagePrompts();
    expect(prompts.at(-1), logs.join('\n')).toBe(finalPrompt);
    expect(prompts.length).toBeGreaterThanOrEqual(1);
    expect(prompts.length).toBeLessThanOrEqual(20);
    expect(prompts.length).toBeLessThan(finalPrompt.length);
    for (const [index, prompt] of prompts.entries()) {
      expect(finalPrompt.startsWith(prompt)).toBe(true);
      if (index > 0) expect(prompt.length).toBeGreaterThan(prompts[index - 1].length);
    }
    expect(await page.locator(part('image')).getAttribute('aria-label')).toContain(`"${finalPrompt}"`);
    const stats = (await page.locator(part('realtime-stats')).textContent())?.replace(/\s+/g, ' ');
    expect(stats).toMatch(/\d+\.\d images\/s · last edit to image \d/);
    expect(stats).not.toContain('0.0 images/s');
  });

  it('makes a new image for a changed seed, and none once real-time mode is off', async () => {
    const imagePrompts = await recordImagePrompts(page);
    await openSettings(page);
    await page.locator(part('seed-input')).fill('1234');
    await page.locator(part('seed-input')).press('Tab');
    await expect.poll(async () => (await imagePrompts()).length, { timeout: 30_000 }).toBe(1);
    expect(await textOf(page, part('image-seed'))).toBe('1234');

    await page.locator(part('realtime-toggle')).uncheck();
    expect(await page.locator('sd-turbo').getAttribute('realtime')).toBeNull();
    await page.locator(part('prompt')).pressSequentially('w');
    await page.waitForTimeout(1000);
    expect(await imagePrompts()).toHaveLength(1);
    expect(await page.locator(part('realtime-stats')).count()).toBe(0);
  });
});

describe('image to image on the app page', () => {
  let context: BrowserContext;
  let page: Page;
  let logs: string[];

  beforeAll(async () => {
    ({ context, page, logs } = await app.open(WASM_APP));
  });
  afterAll(() => context?.close());

  it('starts from a chosen PNG at strength 0.5 with 2 steps: one UNet step, and other pixels than text to image', async () => {
    await downloadModel(page);
    await page.locator(part('prompt')).fill('a lighthouse at dawn');
    await openSettings(page);
    await page.locator(part('seed-input')).fill('777');
    await page.locator(part('seed-input')).press('Tab');
    await page.locator(part('steps-select')).selectOption('2');

    const textToImage = nextImage(page);
    await page.locator(part('generate-button')).click();
    expect(await textToImage).toMatchObject({ seed: 777, steps: 2, unetSteps: 2 });
    const textToImagePixels = await shownPixels(page);

    await page
      .locator(part('source-image-input'))
      .setInputFiles({ name: 'halves.png', mimeType: 'image/png', buffer: await twoColourPng(page) });
    await page.waitForSelector(part('source-preview'));
    expect(await textOf(page, part('strength-value'))).toBe('0.50');
    const imageToImage = nextImage(page);
    await page.locator(part('generate-button')).click();
    expect(await imageToImage, logs.join('\n')).toMatchObject({ seed: 777, steps: 2, unetSteps: 1 });
    expect(await textOf(page, part('timings'))).toContain('UNet (1 step)');
    const imageToImagePixels = await shownPixels(page);
    expect(imageToImagePixels).toHaveLength(textToImagePixels.length);
    expect(imageToImagePixels).not.toEqual(textToImagePixels);
  });

  it('fits a phone-width screen with the source image, its strength and the saved images shown', async () => {
    await expect.poll(() => page.locator(part('saved-image')).count(), { timeout: 30_000 }).toBe(2);
    const box = async (name: string) => (await page.locator(part(name)).first().boundingBox())!;
    // Wide: what is known about the image beside it, not under it; the strength beside the drop zone.
    expect((await box('result')).x).toBeGreaterThanOrEqual(
      (await box('image')).x + (await box('image')).width,
    );
    expect((await box('strength')).x).toBeGreaterThan((await box('drop-zone')).x);
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      const widths = await page.evaluate(() => ({
        host: document.querySelector('sd-turbo')!.getBoundingClientRect().width,
        page: document.documentElement.scrollWidth,
      }));
      expect(widths.page).toBeLessThanOrEqual(360);
      expect(widths.host).toBeLessThanOrEqual(360);
      // One column: the image, then its details; the saved cards two to a row, each within the screen.
      expect((await box('result')).y).toBeGreaterThanOrEqual(
        (await box('image')).y + (await box('image')).height,
      );
      const cards = await page
        .locator(part('saved-image'))
        .evaluateAll((items) =>
          items.map((item) => item.getBoundingClientRect()).map(({ x, y, right }) => ({ x, y, right })),
        );
      expect(cards[1]!.y).toBe(cards[0]!.y);
      expect(cards[1]!.x).toBeGreaterThan(cards[0]!.right);
      expect(cards[1]!.right).toBeLessThanOrEqual(360);
    } finally {
      await page.setViewportSize({ width: 1280, height: 720 });
    }
  });

  it('marks steps × strength under 1 on the strength control and refuses to generate', async () => {
    await page.locator(part('steps-select')).selectOption('1');
    expect(await textOf(page, part('strength-error'))).toContain('runs no step');
    expect(await page.locator(part('strength-input')).getAttribute('aria-invalid')).toBe('true');
    await page.locator(part('prompt')).press('Enter');
    await expect.poll(() => textOf(page, 'sd-turbo [part~="status"]')).toContain('Fix the setting');
    const focused = () =>
      page.evaluate(() => document.querySelector('sd-turbo')!.shadowRoot!.activeElement?.id);
    expect(await focused()).toBe('strength');
    expect(await textOf(page, part('generate-button'))).toBe('Generate');
    // Raising the strength to 1 makes one step enough again; the error goes.
    await page.locator(part('strength-input')).press('End');
    expect(await textOf(page, part('strength-value'))).toBe('1.00');
    expect(await page.locator(part('strength-error')).count()).toBe(0);
    await page.locator(part('remove-source-button')).click();
    expect(await page.locator(part('strength-input')).count()).toBe(0);
  });
});

/**
 * Hands the element a File made in the page, as a person would: a real `drop` on the panel's drop zone
 * (after the `dragover` that allows it) or a `paste` in the prompt, each with a DataTransfer holding the
 * file. 'png' is a 48 × 32 picture, red on the left half and blue on the right; 'text' is a text file.
 */
function sendFile(page: Page, how: 'drop' | 'paste', what: 'png' | 'text') {
  return page.evaluate(
    async ({ how, what }) => {
      let file: File;
      if (what === 'png') {
        const canvas = new OffscreenCanvas(48, 32);
        const context = canvas.getContext('2d')!;
        context.fillStyle = '#e02020';
        context.fillRect(0, 0, 24, 32);
        context.fillStyle = '#2040e0';
        context.fillRect(24, 0, 24, 32);
        const png = await canvas.convertToBlob({ type: 'image/png' });
        file = new File([png], 'halves.png', { type: 'image/png' });
      } else {
        file = new File(['not a picture'], 'notes.txt', { type: 'text/plain' });
      }
      const data = new DataTransfer();
      data.items.add(file);
      const root = document.querySelector('sd-turbo')!.shadowRoot!;
      const init = { bubbles: true, cancelable: true, composed: true };
      if (how === 'paste') {
        const paste = new ClipboardEvent('paste', { ...init, clipboardData: data });
        root.querySelector('#prompt')!.dispatchEvent(paste);
        return { allowed: true, handled: paste.defaultPrevented };
      }
      const zone = root.querySelector('[part~="drop-zone"]')!;
      const over = new DragEvent('dragover', { ...init, dataTransfer: data });
      zone.dispatchEvent(over);
      const drop = new DragEvent('drop', { ...init, dataTransfer: data });
      zone.dispatchEvent(drop);
      return { allowed: over.defaultPrevented, handled: drop.defaultPrevented };
    },
    { how, what },
  );
}

/** The element's `sourceImage` as far as a test can see it, and the panel's preview with two of its pixels. */
function sourceState(page: Page) {
  return page.evaluate(() => {
    const host = document.querySelector('sd-turbo')!;
    const source = host.sourceImage;
    const preview = host.shadowRoot!.querySelector<HTMLCanvasElement>('canvas.source-preview');
    const pixel = (x: number, y: number) =>
      Array.from(preview!.getContext('2d')!.getImageData(x, y, 1, 1).data);
    return {
      source: source instanceof File ? { name: source.name, type: source.type, size: source.size } : source,
      preview: preview && {
        width: preview.width,
        height: preview.height,
        left: pixel(4, 16),
        right: pixel(44, 16),
      },
    };
  });
}

describe('a source image dropped or pasted, and progress while an image is made', () => {
  let context: BrowserContext;
  let page: Page;
  let logs: string[];
  let fromDrop: number[];

  beforeAll(async () => {
    ({ context, page, logs } = await app.open(WASM_APP));
  });
  afterAll(() => context?.close());

  /** Generates with the Generate button and returns the image's summary and pixels. */
  async function generateShown(): Promise<[ImageSummary, number[]]> {
    const image = nextImage(page);
    await page.locator(part('generate-button')).click();
    const summary = await image;
    return [summary, await shownPixels(page)];
  }

  it('takes a PNG dropped on the panel: preview, sourceImage, and image to image with one UNet step', async () => {
    await downloadModel(page);
    await page.locator(part('prompt')).fill('a lighthouse at dawn');
    await openSettings(page);
    await page.locator(part('seed-input')).fill('777');
    await page.locator(part('seed-input')).press('Tab');
    expect(await page.locator(part('steps-select')).inputValue()).toBe('1');

    expect(await sendFile(page, 'drop', 'png')).toEqual({ allowed: true, handled: true });
    await expect.poll(async () => (await sourceState(page)).preview?.width).toBe(48);
    const shown = await sourceState(page);
    expect(shown.source).toMatchObject({ name: 'halves.png', type: 'image/png' });
    expect(shown.preview).toMatchObject({ width: 48, height: 32 });
    expect(shown.preview!.left).toEqual([224, 32, 32, 255]);
    expect(shown.preview!.right).toEqual([32, 64, 224, 255]);
    // At strength 0.5 one step would run no UNet step: the steps went to 2, and the user was told.
    expect(await page.locator(part('steps-select')).inputValue()).toBe('2');
    expect(await textOf(page, part('status'))).toContain('Steps set to 2');

    let summary: ImageSummary;
    [summary, fromDrop] = await generateShown();
    expect(summary, logs.join('\n')).toMatchObject({ seed: 777, steps: 2, unetSteps: 1, encoded: true });
  });

  it('takes a pasted PNG the same way, and makes the same pixels from it', async () => {
    await page.locator(part('remove-source-button')).click();
    expect((await sourceState(page)).source).toBeUndefined();
    expect(await sendFile(page, 'paste', 'png')).toEqual({ allowed: true, handled: true });
    await expect.poll(async () => (await sourceState(page)).preview?.width).toBe(48);
    expect((await sourceState(page)).source).toMatchObject({ name: 'halves.png', type: 'image/png' });
    const [summary, fromPaste] = await generateShown();
    expect(summary).toMatchObject({ seed: 777, steps: 2, unetSteps: 1, encoded: true });
    expect(fromPaste).toHaveLength(64 * 64 * 4);
    expect(fromPaste).toEqual(fromDrop);
  });

  it('refuses a dropped text file with a message naming it, and drops the previous source', async () => {
    expect(await sendFile(page, 'drop', 'text')).toEqual({ allowed: true, handled: true });
    await expect
      .poll(() => textOf(page, part('source-error')))
      .toBe(
        '"notes.txt" is not a picture (text/plain): use a PNG, JPEG, WebP or GIF image. ' +
          'The previous source image was removed.',
      );
    expect(await page.locator(part('source-error')).getAttribute('role')).toBe('alert');
    expect(await page.locator(part('source-image-input')).getAttribute('aria-invalid')).toBe('true');
    expect(await sourceState(page)).toEqual({ source: undefined, preview: null });
    expect(await page.locator(part('strength-input')).count()).toBe(0);
    // Generate now makes text to image: no VAE encoder, both steps.
    const [summary] = await generateShown();
    expect(summary).toMatchObject({ seed: 777, steps: 2, unetSteps: 2, encoded: false });
    // A picture dropped next clears the message.
    await sendFile(page, 'drop', 'png');
    await expect.poll(() => page.locator(part('source-error')).count()).toBe(0);
    await page.locator(part('remove-source-button')).click();
  });

  it('shows "step k of 4" in the busy overlay and fires sd-progress for steps 1 to 4 in order', async () => {
    await openSettings(page);
    await page.locator(part('steps-select')).selectOption('4');
    await page.evaluate(() => {
      const host = document.querySelector('sd-turbo')!;
      const seen: { stage: string; step: number; steps: number; overlay: string; bubbles: boolean }[] = [];
      (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
      document.addEventListener('sd-progress', (event) => {
        const { detail, bubbles, composed } = event as CustomEvent;
        if (detail.phase !== 'generating') return;
        void host.updateComplete.then(() => {
          const overlay = host.shadowRoot!.querySelector('[part~="busy-stage"]')?.textContent ?? '';
          seen.push({
            ...detail,
            overlay: overlay.replace(/\s+/g, ' ').trim(),
            bubbles: bubbles && composed,
          });
        });
      });
    });
    const [summary] = await generateShown();
    expect(summary).toMatchObject({ steps: 4, unetSteps: 4, encoded: false });
    const seen = await page.evaluate(
      () => (window as unknown as { progressSeen: Record<string, unknown>[] }).progressSeen,
    );
    expect(seen.map(({ stage, step, steps }) => [stage, step, steps])).toEqual([
      ['text-encoder', 0, 4],
      ['unet', 1, 4],
      ['unet', 2, 4],
      ['unet', 3, 4],
      ['unet', 4, 4],
      ['vae-decoder', 4, 4],
    ]);
    expect(seen.map(({ overlay }) => overlay)).toEqual([
      'Generating · reading the prompt',
      'Generating · step 1 of 4',
      'Generating · step 2 of 4',
      'Generating · step 3 of 4',
      'Generating · step 4 of 4',
      'Generating · decoding the image',
    ]);
    expect(seen.every((event) => event.bubbles && event.modelId === 'tiny-fp32')).toBe(true);
    // Once the image is shown the overlay is gone.
    expect(await page.locator(part('busy')).count()).toBe(0);
  });
});

describe('image to image controls', () => {
  it('are shown for tiny-fp32 (VAE encoder) and hidden for sd-turbo (none), switched in the model picker', async () => {
    const { context, page } = await app.open(WASM_APP);
    try {
      await page.waitForSelector(part('source-image-input'), { state: 'attached', timeout: 30_000 });
      await openSettings(page);
      await page.locator('sd-turbo #model').selectOption('sd-turbo');
      await expect.poll(() => page.locator(part('source-image')).count()).toBe(0);
      await page.locator('sd-turbo #model').selectOption('tiny-fp32');
      await expect.poll(() => page.locator(part('source-image')).count()).toBe(1);
    } finally {
      await context.close();
    }
  });
});

describe('the saved gallery on the app page', () => {
  let context: BrowserContext;
  let page: Page;
  let logs: string[];
  const savedPrompts = () =>
    page
      .locator(part('saved-image'))
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-prompt')));

  /** Generates with Enter and waits until the gallery lists `count` saved images. */
  async function generate(prompt: string, seed: number): Promise<void> {
    await page.locator(part('prompt')).fill(prompt);
    await openSettings(page);
    await page.locator(part('seed-input')).fill(String(seed));
    await page.locator(part('seed-input')).press('Tab');
    const image = nextImage(page);
    await page.locator(part('generate-button')).click();
    expect((await image).prompt, logs.join('\n')).toBe(prompt);
  }

  /** Storage as full as GalleryStore's headroom: every save is short by its own size. */
  const fillStorage = () =>
    page.evaluate(() => {
      const headroom = 5 * 1024 * 1024;
      navigator.storage.estimate = async () => ({ quota: 1e9, usage: 1e9 - headroom });
    });
  const emptyStorage = () =>
    page.evaluate(() => {
      navigator.storage.estimate = async () => ({ quota: 1e9, usage: 0 });
    });

  beforeAll(async () => {
    ({ context, page, logs } = await app.open(WASM_APP));
  });
  afterAll(() => context?.close());

  it('keeps images made with Generate across a reload, newest first', async () => {
    await downloadModel(page);
    await generate('first saved', 1);
    await expect.poll(savedPrompts, { timeout: 30_000 }).toEqual(['first saved']);
    await generate('second saved', 2);
    await expect.poll(savedPrompts, { timeout: 30_000 }).toEqual(['second saved', 'first saved']);

    await page.reload();
    await expect.poll(savedPrompts, { timeout: 30_000 }).toEqual(['second saved', 'first saved']);
    const thumbnailWidth = await page
      .locator(`${part('saved-image')} img`)
      .first()
      .evaluate((img) => (img as HTMLImageElement).naturalWidth);
    expect(thumbnailWidth).toBeGreaterThan(0);
  });

  it('asks before deleting the oldest images when storage is short, and deletes nothing on "Don\'t save"', async () => {
    await fillStorage();
    await generate('third', 3);
    await expect.poll(() => page.locator(part('quota-question')).count(), { timeout: 30_000 }).toBe(1);
    expect(await savedPrompts()).toEqual(['second saved', 'first saved']);
    await page.locator(part('dont-save-button')).click();
    expect(await page.locator(part('quota-question')).count()).toBe(0);
    expect(await savedPrompts()).toEqual(['second saved', 'first saved']);
    // Not saved, yet in the one gallery for this session: marked so, first, and shown large on a click.
    const unsaved = page.locator(part('unsaved-image'));
    expect(await unsaved.getAttribute('data-prompt')).toBe('third');
    expect(await textOf(page, `${part('unsaved-image')} >> [part~="gallery-caption"]`)).toBe(
      'third · seed 3 · 1 step · not saved',
    );
    expect(await page.locator(part('gallery-image')).first().getAttribute('data-prompt')).toBe('third');
    expect(await unsaved.getByRole('button', { name: 'Delete third, seed 3' }).count()).toBe(0);

    await generate('fourth', 4);
    await expect.poll(() => page.locator(part('quota-question')).count(), { timeout: 30_000 }).toBe(1);
    const offer = await textOf(page, part('free-and-save-button'));
    const oldestToDelete = Number(/Delete the (\d) oldest/.exec(offer)?.[1]);
    expect([1, 2]).toContain(oldestToDelete);
    await emptyStorage();
    await page.locator(part('free-and-save-button')).click();
    const kept = ['second saved', 'first saved'].slice(0, 2 - oldestToDelete);
    await expect.poll(savedPrompts, { timeout: 30_000 }).toEqual(['fourth', ...kept]);
  });

  it('shows each saved image as a card: a one-line caption with the whole prompt as its tooltip, named actions', async () => {
    const card = page.locator(part('saved-image')).first();
    expect(await textOf(page, `${part('saved-image')} >> nth=0 >> [part~="gallery-caption"]`)).toBe(
      'fourth · seed 4 · 1 step',
    );
    expect(await card.locator('[part~="gallery-caption"]').getAttribute('title')).toBe(
      'fourth\nseed 4 · 1 step',
    );
    for (const name of [
      'Download fourth, seed 4',
      'Reuse settings: fourth, seed 4',
      'Delete fourth, seed 4',
    ]) {
      expect(await card.getByRole('button', { name, exact: true }).count()).toBe(1);
    }
    // The actions share one row under the caption, and Clear all shares the header line with the count.
    const tops = await card
      .locator('[part~="gallery-actions"] button')
      .evaluateAll((buttons) => buttons.map((button) => Math.round(button.getBoundingClientRect().top)));
    expect(tops).toHaveLength(3);
    expect(new Set(tops).size).toBe(1);
    const saved = await page.locator(part('saved-image')).count();
    expect(await textOf(page, part('gallery-count'))).toBe(`${saved} saved in this browser`);
    const title = (await page.getByRole('heading', { name: 'Your images', exact: true }).boundingBox())!;
    const count = (await page.locator(part('gallery-count')).boundingBox())!;
    const clear = (await page.locator(part('clear-gallery-button')).boundingBox())!;
    for (const box of [title, count]) {
      expect(Math.abs(clear.y + clear.height / 2 - (box.y + box.height / 2))).toBeLessThan(4);
    }
    expect(count.x).toBeGreaterThan(title.x + title.width);
    expect(clear.x).toBeGreaterThan(count.x + count.width);
  });

  it('downloads a saved PNG, brings back its settings and deletes one', async () => {
    await page.locator(part('prompt')).fill('something else');
    const download = page.waitForEvent('download');
    await page.locator(part('gallery-download-button')).first().click();
    expect((await download).suggestedFilename()).toBe('sd-turbo_4_fourth_64x64.png');

    await page.locator(part('gallery-reuse-button')).first().click();
    expect(await page.locator(part('prompt')).inputValue()).toBe('fourth');
    expect(await page.locator(part('seed-input')).inputValue()).toBe('4');

    const before = (await savedPrompts()).length;
    await page.locator(part('gallery-delete-button')).first().click();
    await expect.poll(async () => (await savedPrompts()).length).toBe(before - 1);
    await generate('fifth', 5);
    await expect.poll(async () => (await savedPrompts())[0], { timeout: 30_000 }).toBe('fifth');
  });

  it('asks before clearing all, saying how many go: Cancel and Escape keep them, Delete deletes them', async () => {
    const count = (await savedPrompts()).length;
    expect(count).toBeGreaterThanOrEqual(2);
    const question = `Delete all ${count} saved images from this browser? This cannot be undone.`;
    const focusedPart = () =>
      page.evaluate(
        () => document.querySelector('sd-turbo')!.shadowRoot!.activeElement?.getAttribute('part') ?? '',
      );

    await page.locator(part('clear-gallery-button')).click();
    expect(await textOf(page, part('confirm-clear'))).toBe(`${question} Delete ${count} saved images Cancel`);
    expect(await page.locator(part('confirm-clear')).getAttribute('role')).toBe('alertdialog');
    // The safe answer has focus: a stray Enter keeps the images.
    expect(await focusedPart()).toBe('confirm-clear-cancel-button');
    await page.locator(part('confirm-clear-cancel-button')).click();
    expect(await page.locator(part('confirm-clear')).count()).toBe(0);
    expect(await savedPrompts()).toHaveLength(count);
    expect(await focusedPart()).toBe('clear-gallery-button');

    await page.locator(part('clear-gallery-button')).click();
    await page.keyboard.press('Escape');
    expect(await page.locator(part('confirm-clear')).count()).toBe(0);
    expect(await savedPrompts()).toHaveLength(count);
    await page.reload();
    await expect.poll(async () => (await savedPrompts()).length, { timeout: 30_000 }).toBe(count);

    await page.locator(part('clear-gallery-button')).click();
    await page.locator(part('confirm-clear-button')).click();
    await expect.poll(() => page.locator(part('gallery')).count()).toBe(0);
    await page.reload();
    await page.waitForSelector(part('prompt'));
    await page.waitForTimeout(500);
    expect(await page.locator(part('saved-image')).count()).toBe(0);
  });
});
