/**
 * `<sd-turbo realtime>` on the app page with tiny-fp32: typing makes images through the latest-wins
 * scheduler, so a burst of keystrokes yields few images, never one for older text after newer text.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { launchChromium, openPage, startDevServer } from './support/browser.js';

const part = (name: string) => `sd-turbo [part~="${name}"]`;

let server: ViteDevServer;
let baseUrl: string;
let browser: Browser;

beforeAll(async () => {
  await ensureTinyModels();
  ({ server, url: baseUrl } = await startDevServer());
  browser = await launchChromium({ webgpu: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

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

describe('real-time mode on the app page', () => {
  let context: BrowserContext;
  let page: Page;
  let logs: string[];

  beforeAll(async () => {
    ({ context, page, logs } = await openPage(browser, `${baseUrl}/?model=tiny-fp32`));
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

async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).textContent()) ?? '').trim();
}
