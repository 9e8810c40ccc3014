// @module-tag scale
/**
 * Accessibility checked by a maintained tool: axe-core (through @axe-core/playwright) on the app page and
 * on `<sd-turbo>` alone, in each state the screenshots show (first run, ready, with an image, settings
 * open, an error, the gallery, the dark scheme, 360 px wide, the compact variant). The bar is 0 serious or
 * critical violations; each one found is listed with its target so a failure says what to fix.
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { startTestApp, type TestApp } from './support/browser.js';

const part = (name: string) => `sd-turbo [part~="${name}"]`;

let app: TestApp;

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
});

afterAll(() => app?.close());

/** "rule (impact): target, target" for each serious or critical violation, on the page or the element. */
async function seriousViolations(page: Page, scope: 'page' | 'element'): Promise<string[]> {
  let builder = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']);
  if (scope === 'element') builder = builder.include('sd-turbo');
  const { violations } = await builder.analyze();
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')}`,
    );
}

/** Both scopes, in the light and dark schemes, at 1280 and 360 px: each combination listed on failure. */
async function expectAccessible(page: Page, state: string): Promise<void> {
  const found: string[] = [];
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 800 });
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      for (const scope of ['page', 'element'] as const) {
        const violations = await seriousViolations(page, scope);
        found.push(
          ...violations.map((violation) => `${state}, ${width} px, ${colorScheme}, ${scope}: ${violation}`),
        );
      }
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'light' });
  expect(found).toEqual([]);
}

describe('accessibility (axe-core): 0 serious or critical violations', () => {
  it('in each state of the app: first run, ready, an image, settings open, the gallery, compact', async () => {
    const { context, page, logs } = await app.open('/?model=tiny-fp32&provider=wasm');
    try {
      await page.locator(part('first-run')).waitFor({ timeout: 30_000 });
      await page.locator(part('prompt')).fill('a lighthouse on a rocky coast at dawn, watercolor');
      await expectAccessible(page, 'first run');

      await page.locator(part('download-button')).click();
      await page.locator(part('first-run')).waitFor({ state: 'detached', timeout: 120_000 });
      await expectAccessible(page, 'ready');

      for (const seed of [11, 12]) {
        const image = page.evaluate(
          () => new Promise((resolve) => document.addEventListener('sd-image', resolve, { once: true })),
        );
        await page.evaluate((s) => document.querySelector('sd-turbo')!.setAttribute('seed', String(s)), seed);
        await page.locator(part('generate-button')).click();
        await image;
      }
      await page.locator(part('saved-image')).nth(1).waitFor({ timeout: 30_000 });
      await expectAccessible(page, 'an image and the gallery');

      await page.getByText('Settings', { exact: true }).click();
      await expectAccessible(page, 'settings open');

      await page.evaluate(() => document.querySelector('sd-turbo')!.setAttribute('variant', 'compact'));
      await expectAccessible(page, 'compact');
    } catch (error) {
      throw new Error(`${String(error)}\n${logs.join('\n')}`, { cause: error });
    } finally {
      await context.close();
    }
  }, 600_000);

  it('with an error: a download whose server answers 404, and an invalid seed', async () => {
    const { context, page } = await app.open('/?model=tiny-fp32&provider=wasm', {
      prepare: async (ctx) => {
        await ctx.route('**/models/tiny-fp32/unet/model.onnx', (route) => route.fulfill({ status: 404 }));
      },
    });
    try {
      await page.locator(part('download-button')).click({ timeout: 30_000 });
      await page.locator(part('error')).waitFor({ timeout: 60_000 });
      await page.evaluate(() => document.querySelector('sd-turbo')!.setAttribute('seed', '-1'));
      await expectAccessible(page, 'error');
    } finally {
      await context.close();
    }
  }, 300_000);
});
