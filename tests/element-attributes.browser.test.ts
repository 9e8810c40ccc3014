/**
 * `<sd-turbo>`'s attributes as a web developer expects them, on the app page with the tiny models: the
 * latest `manifest` and `model` win whenever they are set (right after creation too), removing an attribute
 * restores its default, a value that cannot be used stays visible with its error and is quoted as written,
 * and a manifest that is missing, not JSON or invalid gets a panel that names it, never a raw error.
 * Each describe shares one page between its tests, in order (the tiny models; downloads on wasm).
 * The zero set-up package check: tests/zero-setup.browser.test.ts.
 */
import { readFile } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { openSettings, startTestApp, type OpenedPage, type TestApp } from './support/browser.js';

const part = (name: string) => `sd-turbo [part~="${name}"]`;

let app: TestApp;
/** A second catalogue at another URL: tiny-fp32 (its default) and tiny-fp16, with absolute file URLs. */
let otherCatalogue: string;

beforeAll(async () => {
  await ensureTinyModels();
  app = await startTestApp();
  const manifest = JSON.parse(await readFile('model-manifest.json', 'utf8')) as {
    defaultModel: string;
    models: { id: string; baseUrl: string }[];
  };
  manifest.models = manifest.models
    .filter((model) => model.id === 'tiny-fp32' || model.id === 'tiny-fp16')
    .map((model) => ({ ...model, baseUrl: `/${model.baseUrl}` }));
  manifest.defaultModel = 'tiny-fp32';
  otherCatalogue = JSON.stringify(manifest);
});

afterAll(() => app?.close());

/** Serves the test manifests under /catalogues/: other.json, missing.json (404), broken.json, invalid.json. */
async function serveCatalogues(context: BrowserContext): Promise<void> {
  // A predicate, not a glob: '**/catalogues/*.json' would match the page's own URL, ?manifest=/catalogues/….
  await context.route(
    (url) => url.pathname.startsWith('/catalogues/'),
    (route) => {
      const name = new URL(route.request().url()).pathname.split('/').pop();
      if (name === 'other.json')
        return route.fulfill({ contentType: 'application/json', body: otherCatalogue });
      if (name === 'broken.json')
        return route.fulfill({ contentType: 'application/json', body: '{"models": [' });
      if (name === 'invalid.json')
        return route.fulfill({ contentType: 'application/json', body: '{"version": 2}' });
      return route.fulfill({ status: 404, body: 'Not Found' });
    },
  );
}

async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** Errors that reached the page uncaught, or were logged as errors (a failed fetch's own line aside). */
function uncaught(logs: string[]): string[] {
  return logs.filter(
    (line) =>
      line.startsWith('[pageerror]') ||
      (line.startsWith('[error]') && !line.includes('Failed to load resource')),
  );
}

function element<T>(page: Page, read: (element: HTMLElement & Record<string, unknown>) => T): Promise<T> {
  return page.evaluate(`(${read.toString()})(document.querySelector('sd-turbo'))`) as Promise<T>;
}

describe('manifest and model: the latest wins', () => {
  it('takes ?manifest= and ?model= from the app URL (set just after the element is created)', async () => {
    const { context, page, logs } = await app.open('/?manifest=/catalogues/other.json&model=tiny-fp16', {
      prepare: serveCatalogues,
    });
    try {
      await page.locator(part('first-run')).waitFor({ timeout: 30_000 });
      expect(await element(page, (el) => [el.manifestUrl, el.modelId])).toEqual([
        `${app.origin}/catalogues/other.json`,
        'tiny-fp16',
      ]);
      const offered = await page
        .locator('sd-turbo #model option')
        .evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value));
      expect(offered).toEqual(['tiny-fp32', 'tiny-fp16']);
      expect(await page.locator(part('error')).count()).toBe(0);
      expect(uncaught(logs)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("with ?manifest= alone uses that manifest's default model", async () => {
    const { context, page, logs } = await app.open('/?manifest=/catalogues/other.json', {
      prepare: serveCatalogues,
    });
    try {
      await page.locator(part('first-run')).waitFor({ timeout: 30_000 });
      await expect.poll(() => element(page, (el) => el.modelId)).toBe('tiny-fp32');
      expect(await page.locator(part('error')).count()).toBe(0);
      expect(uncaught(logs)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('follows manifest and model set right after creation, and again later', async () => {
    const { context, page, logs } = await app.open('/', { prepare: serveCatalogues });
    try {
      await page.evaluate(() => {
        const created = document.createElement('sd-turbo');
        created.id = 'created';
        document.body.append(created);
        created.setAttribute('manifest', '/catalogues/other.json');
        created.setAttribute('model', 'tiny-fp16');
      });
      const created = (read: string) =>
        page.evaluate(`document.querySelector('#created').${read}`) as Promise<unknown>;
      await expect.poll(() => created('modelId'), { timeout: 30_000 }).toBe('tiny-fp16');
      await page.locator('#created [part~="first-run"]').waitFor({ timeout: 30_000 });
      expect(await created('manifestUrl')).toBe(`${app.origin}/catalogues/other.json`);

      // Later: back to the app's catalogue, then another model of it.
      await page.evaluate(() =>
        document.querySelector('#created')!.setAttribute('manifest', '/model-manifest.json'),
      );
      await expect.poll(() => created('modelId')).toBe('tiny-fp16');
      await page.evaluate(() => document.querySelector('#created')!.setAttribute('model', 'tiny-mixed'));
      await expect.poll(() => created('modelId')).toBe('tiny-mixed');
      expect(await page.locator('#created [part~="error"]').count()).toBe(0);
      expect(uncaught(logs)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('a manifest that cannot be used', () => {
  const cases = [
    ['missing.json', 'HTTP 404'],
    ['broken.json', 'is not valid JSON'],
    ['invalid.json', 'version must be 1'],
  ] as const;
  let opened: OpenedPage;

  beforeAll(async () => {
    opened = await app.open('/', { prepare: serveCatalogues });
    // One element per manifest, each given its manifest as a page would, just after it is created.
    await opened.page.evaluate(
      (names) => {
        for (const name of names) {
          const created = document.createElement('sd-turbo');
          created.id = name.replace('.json', '');
          created.setAttribute('manifest', `/catalogues/${name}`);
          document.body.append(created);
        }
      },
      cases.map(([name]) => name),
    );
  });

  afterAll(() => opened?.context.close());

  for (const [name, says] of cases) {
    it(`${name}: a panel names the URL, what is wrong and what to do, with no uncaught error`, async () => {
      const { page, logs } = opened;
      const error = `#${name.replace('.json', '')} [part~="error"]`;
      await page.locator(error).waitFor({ timeout: 30_000 });
      const text = await textOf(page, error);
      expect(text).toContain(`${app.origin}/catalogues/${name}`);
      expect(text).toContain(says);
      expect(text).toContain('The model list could not be read');
      expect(text).toContain('"manifest"');
      expect(text).not.toMatch(/Cannot read properties|undefined/);
      // Give late promise rejections their chance to show.
      await page.waitForTimeout(500);
      expect(uncaught(logs)).toEqual([]);
    });
  }
});

describe('attributes: removing restores the default, bad values stay visible', () => {
  let opened: OpenedPage;

  beforeAll(async () => {
    opened = await app.open('/?model=tiny-fp32');
    await opened.page.locator(part('first-run')).waitFor({ timeout: 30_000 });
  });

  afterAll(() => opened?.context.close());

  it('clears a bad seed the moment it is cleared, and Random seed fills the box before any download', async () => {
    const { page } = opened;
    await openSettings(page);
    const seed = page.locator('sd-turbo #seed');
    await seed.fill('abc');
    await expect.poll(() => page.locator(part('seed-error')).count()).toBe(1);
    await seed.fill('');
    // No Tab, no Generate: the error goes as the text does.
    await expect.poll(() => page.locator(part('seed-error')).count()).toBe(0);

    const random = page.locator(part('random-seed-button'));
    expect(await random.isEnabled()).toBe(true);
    await random.click();
    const drawn = await seed.inputValue();
    expect(drawn).toMatch(/^\d+$/);
    expect(await element(page, (el) => el.seed)).toBe(Number(drawn));
  });

  it('quotes what was written, and each removal gives the default back with no error', async () => {
    const { page, logs } = opened;
    // The Settings drawer closed: an attribute in error opens it, so the error is seen beside its field.
    const drawer = page.locator(part('settings'));
    await drawer.evaluate((details) => ((details as HTMLDetailsElement).open = false));
    await page.evaluate(() => {
      const host = document.querySelector('sd-turbo')!;
      host.setAttribute('steps', 'x');
      host.setAttribute('seed', 'abc');
      host.setAttribute('provider', 'webgl');
      host.setAttribute('strength', 'abc');
      host.setAttribute('webnn-device-type', 'tpu');
      host.setAttribute('prompt', 'a boat');
      host.setAttribute('count', 'many');
      host.setAttribute('memory', 'big');
      host.setAttribute('mirror', '/copy/');
    });
    await expect
      .poll(() => textOf(page, part('steps-error')))
      .toBe('"x" is not a number of steps: choose 1, 2, 3 or 4.');
    expect(await drawer.evaluate((details) => (details as HTMLDetailsElement).open)).toBe(true);
    for (const name of ['steps-error', 'seed-error', 'count-error', 'provider-error']) {
      expect(await page.locator(part(name)).isVisible(), name).toBe(true);
    }
    expect(await textOf(page, part('settings-summary'))).toContain('Seed abc (not allowed)');
    expect(await page.locator('sd-turbo #seed').inputValue()).toBe('abc');
    expect(await textOf(page, part('seed-error'))).toContain('"abc" is not a seed');
    expect(await textOf(page, part('provider-error'))).toContain('"webgl" is not an execution provider');
    expect(await textOf(page, part('count-error'))).toBe(
      '"many" is not a number of images: use a whole number from 1 to 8.',
    );
    // Each error is described by its own field.
    expect(await page.locator('sd-turbo #steps').getAttribute('aria-describedby')).toBe('steps-error');
    expect(await page.locator('sd-turbo #seed').getAttribute('aria-describedby')).toContain('seed-error');

    const names = ['steps', 'seed', 'provider', 'strength', 'webnn-device-type', 'prompt', 'model'];
    for (const name of [...names, 'count', 'memory', 'mirror']) {
      await page.evaluate(
        (attribute) => document.querySelector('sd-turbo')!.removeAttribute(attribute),
        name,
      );
    }
    await expect.poll(() => page.locator(part('field-error')).count()).toBe(0);
    expect(
      await element(page, (el) => [
        el.steps,
        el.seed,
        el.provider,
        el.strength,
        el.webnnDeviceType,
        el.prompt,
        el.model,
        el.count,
        el.memory,
        el.mirror,
      ]),
    ).toEqual([1, null, 'auto', 0.5, 'gpu', '', '', 1, 'auto', '']);
    // No attribute came back by itself.
    expect(
      await element(page, (el) =>
        el.getAttributeNames().filter((n) => !['id', 'manifest', 'test-models'].includes(n)),
      ),
    ).toEqual([]);
    expect(await page.locator('sd-turbo #seed').inputValue()).toBe('');
    // The model picker's default again, from the app's manifest.
    expect(await element(page, (el) => el.modelId)).toBe('sd-turbo');
    expect(uncaught(logs)).toEqual([]);
  });

  it('removing manifest gives the catalogue the package carries, beside the element module', async () => {
    const { page } = opened;
    await page.evaluate(() => document.querySelector('sd-turbo')!.removeAttribute('manifest'));
    // In development the module is src/components/sd-turbo/sd-turbo.ts, three folders under the root.
    expect(await element(page, (el) => el.manifestUrl)).toBe(`${app.origin}/model-manifest.json`);
  });

  it('refuses a damaged PNG when it is chosen, as an image problem', async () => {
    const { page } = opened;
    // Back to a model with a VAE encoder (the default one has none, so no source image is offered).
    await page.evaluate(() => document.querySelector('sd-turbo')!.setAttribute('model', 'tiny-fp32'));
    const input = page.locator(part('source-image-input'));
    const broken = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49]);
    await input.setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: broken });
    await expect
      .poll(() => textOf(page, part('source-error')))
      .toContain('"broken.png" could not be read as an image (image/png, 13 bytes)');
    expect(await element(page, (el) => el.sourceImage === undefined)).toBe(true);
    // No "No file chosen" beside the picker: the input is hidden behind its button.
    expect(await input.isVisible()).toBe(false);
    expect(await page.locator(part('choose-source-button')).isVisible()).toBe(true);
  });

  it('shows a strength that is no number as written, with its error, never NaN', async () => {
    const { page } = opened;
    await page.evaluate(async () => {
      const canvas = new OffscreenCanvas(64, 64);
      canvas.getContext('2d')!.fillRect(0, 0, 64, 64);
      const host = document.querySelector('sd-turbo') as HTMLElement & { sourceImage?: Blob };
      host.sourceImage = await canvas.convertToBlob({ type: 'image/png' });
      // Two steps, so the default strength (0.5) runs one UNet step and is no error of its own.
      host.setAttribute('steps', '2');
      host.setAttribute('strength', 'abc');
    });
    await expect.poll(() => textOf(page, part('strength-error'))).toContain('"abc" is not a strength');
    expect(await textOf(page, part('strength-value'))).toBe('abc');
    expect(await textOf(page, part('source-image'))).not.toContain('NaN');
    await page.evaluate(() => document.querySelector('sd-turbo')!.removeAttribute('strength'));
    await expect.poll(() => page.locator(part('strength-error')).count()).toBe(0);
    expect(await textOf(page, part('strength-value'))).toBe('0.50');
  });
});

describe('after Download', () => {
  let opened: OpenedPage;

  beforeAll(async () => {
    // wasm: the WebGPU load on SwiftShader is not what these tests are about.
    opened = await app.open('/?model=tiny-fp32&provider=wasm');
    await opened.page.locator(part('download-button')).click({ timeout: 30_000 });
    await opened.page.waitForSelector(part('first-run'), { state: 'detached', timeout: 60_000 });
  }, 90_000);

  afterAll(() => opened?.context.close());

  it('moves focus from the Download button, which is gone, to the element', async () => {
    expect(await element(opened.page, () => document.activeElement?.tagName)).toBe('SD-TURBO');
  });

  it('says an empty prompt needs writing instead of generating from the placeholder', async () => {
    const { page } = opened;
    await page.locator('sd-turbo #prompt').fill('');
    let images = 0;
    await page.exposeFunction('countImage', () => images++);
    await page.evaluate(() =>
      document.addEventListener('sd-image', () => (window as unknown as { countImage(): void }).countImage()),
    );
    await page.locator(part('generate-button')).click();
    await expect.poll(() => textOf(page, part('prompt-error'))).toContain('Write a prompt first');
    expect(await page.locator('sd-turbo #prompt').getAttribute('aria-invalid')).toBe('true');
    expect(await element(page, () => document.activeElement?.shadowRoot?.activeElement?.id)).toBe('prompt');
    await page.waitForTimeout(300);
    expect(images).toBe(0);
    await page.locator('sd-turbo #prompt').fill('a red kite');
    expect(await page.locator(part('prompt-error')).count()).toBe(0);
  });

  it('a deleted loaded model no longer generates', async () => {
    const { page } = opened;
    await element(page, (el) => (el as unknown as { load(): Promise<unknown> }).load());
    await openSettings(page);
    await page.locator(`${part('delete-button')}[data-model="tiny-fp32"]`).click();
    await page
      .locator(part('confirm-delete-model'))
      .getByRole('button', { name: /^Delete/ })
      .click();
    await page.locator(part('first-run')).waitFor({ timeout: 30_000 });
    const outcome = await element(page, (el) =>
      (el as unknown as { generate(o: object): Promise<unknown> })
        .generate({ prompt: 'a kite', seed: 1 })
        .then(
          () => 'made an image',
          (error: { code?: string }) => error.code,
        ),
    );
    expect(outcome).toBe('not-loaded');
  });
});

describe('cancelling a download in flight', () => {
  it('asks to delete the bytes the progress shows, not the 0 B of a stale stored status', async () => {
    const { context, page } = await app.open('/?model=tiny-fp32');
    // The UNet never answers: the download stays in flight with the other files stored.
    await context.route('**/models/tiny-fp32/unet/model.onnx', () => undefined);
    try {
      await page.locator(part('download-button')).click({ timeout: 30_000 });
      await expect
        .poll(() => textOf(page, part('progress-text')), { timeout: 60_000 })
        .toMatch(/6\.4 MB of 6\.6 MB/);
      expect(await element(page, (el) => (el as unknown as { models: { phase: string } }).models.phase)).toBe(
        'downloading',
      );
      await page.locator(part('cancel-download-button')).click();
      await expect
        .poll(() => textOf(page, part('confirm-delete')))
        .toContain('Delete the 6.4 MB downloaded so far?');
    } finally {
      await context.close();
    }
  });
});
