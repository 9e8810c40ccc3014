/**
 * provider: 'webnn' in this machine's Chromium: WebNN is offered only where navigator.ml.createContext
 * succeeds; here it does not, and the pipeline and the `<sd-turbo>` element say exactly why, with and
 * without the WebNN flag.
 */
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { launchChromium, openPage, startDevServer, testPageReady } from './support/browser.js';

const WEBNN_FLAG = '--enable-features=WebMachineLearningNeuralNetwork';
const refusal = (deviceType: string) =>
  `navigator.ml.createContext({ deviceType: '${deviceType}' }) failed: NotSupportedError: ` +
  "Failed to execute 'createContext' on 'ML': WebNN is not supported on this platform.";

let server: ViteDevServer;
let url: string;
const browsers: Browser[] = [];

beforeAll(async () => {
  await ensureTinyModels();
  ({ server, url } = await startDevServer());
});

afterAll(async () => {
  await Promise.all(browsers.map((browser) => browser.close()));
  await server?.close();
});

async function webnnLoadOutcome(extraArgs: string[], deviceType: 'cpu' | 'gpu' | 'npu') {
  const browser = await launchChromium({ webgpu: true, extraArgs });
  browsers.push(browser);
  const { page } = await openPage(browser, `${url}/tests/pages/pipeline.html`);
  await testPageReady(page);
  return page.evaluate(
    (type) => window.pipelineTest.loadError('tiny-fp32', { provider: 'webnn', webnnDeviceType: type }),
    deviceType,
  );
}

describe('WebNN provider in this Chromium', () => {
  it('with the WebNN flag: refuses with createContext’s exact error', async () => {
    for (const deviceType of ['gpu', 'cpu'] as const) {
      const outcome = await webnnLoadOutcome([WEBNN_FLAG], deviceType);
      expect(outcome.ok).toBe(false);
      expect(outcome.code).toBe('unsupported-device');
      expect(outcome.message).toContain(refusal(deviceType));
    }
  });

  it('without it: says navigator.ml is missing', async () => {
    const outcome = await webnnLoadOutcome([], 'gpu');
    expect(outcome.code).toBe('unsupported-device');
    expect(outcome.message).toMatch(/navigator\.ml is missing/);
  });
});

describe('<sd-turbo provider="webnn">', () => {
  const part = (name: string) => `sd-turbo [part~="${name}"]`;
  const textOf = async (page: Page, selector: string) =>
    ((await page.locator(selector).textContent()) ?? '').replace(/\s+/g, ' ').trim();

  it('reports the exact refusal in its problem panel, downloads nothing, and Settings says why WebNN is off', async () => {
    const browser = await launchChromium({ webgpu: true, extraArgs: [WEBNN_FLAG] });
    browsers.push(browser);
    const { context, page, logs } = await openPage(
      browser,
      `${url}/?model=tiny-fp32&provider=webnn&webnn-device-type=cpu`,
    );
    const modelRequests: string[] = [];
    context.on('request', (request) => {
      if (request.url().includes('/models/tiny-fp32/')) modelRequests.push(request.url());
    });
    await page.locator(part('first-run')).waitFor({ timeout: 30_000 });
    const outcome = await page.evaluate(() =>
      document
        .querySelector('sd-turbo')!
        .load()
        .then(
          () => 'loaded',
          (error: { code?: string; message?: string }) => ({ code: error.code, message: error.message }),
        ),
    );
    expect(outcome, logs.join('\n')).toMatchObject({ code: 'unsupported-device' });
    expect(JSON.stringify(outcome)).toContain(refusal('cpu'));
    await expect.poll(() => textOf(page, part('error'))).toContain(refusal('cpu'));
    expect(await page.locator(part('error')).getAttribute('data-code')).toBe('unsupported-device');
    // The first-run panel says it before any download, and nothing was downloaded.
    expect(await textOf(page, part('provider-note'))).toContain(refusal('cpu'));
    expect(modelRequests).toEqual([]);

    await page.getByText('Settings', { exact: true }).click();
    const webnn = page.getByRole('radio', { name: /^WebNN/ });
    expect(await webnn.isChecked()).toBe(true); // as asked, though it cannot run here
    expect(await textOf(page, 'sd-turbo label:has(input[value="webnn"])')).toBe('WebNN (not available here)');
    const status = `WebNN (cpu) is not available here: NotSupportedError: Failed to execute 'createContext' on 'ML': WebNN is not supported on this platform.`;
    expect(await textOf(page, part('webnn-status'))).toBe(status);
    expect(await webnn.getAttribute('aria-describedby')).toBe('webnn-status');

    // Once another provider is chosen, WebNN is not offered; the other device types say why too.
    await page.getByRole('radio', { name: 'wasm (CPU)' }).check();
    await expect.poll(() => webnn.isDisabled()).toBe(true);
    await page.locator(`sd-turbo #webnn-device-type`).selectOption('gpu');
    await expect.poll(() => textOf(page, part('webnn-status'))).toBe(status.replace('(cpu)', '(gpu)'));
    expect(await page.evaluate(() => document.querySelector('sd-turbo')!.webnnDeviceType)).toBe('gpu');
    expect(await page.locator(part('field-error')).count()).toBe(0);
    await context.close();
  });

  it('refuses a device type that is none, on its control', async () => {
    const browser = await launchChromium({ webgpu: true });
    browsers.push(browser);
    const { context, page } = await openPage(
      browser,
      `${url}/?model=tiny-fp32&provider=webnn&webnn-device-type=tpu`,
    );
    await expect
      .poll(() => textOf(page, part('provider-error')), { timeout: 30_000 })
      .toBe('"tpu" is not a WebNN device type: use gpu, cpu or npu.');
    const code = await page.evaluate(() =>
      document
        .querySelector('sd-turbo')!
        .generate()
        .then(
          () => 'made an image',
          (error: { code?: string }) => error.code,
        ),
    );
    expect(code).toBe('invalid-input');

    // With another provider the device type is not checked (WebNN would use its default, gpu), and WebNN
    // is first asked about when Settings opens: in this browser (no WebNN flag) navigator.ml is missing.
    await page.evaluate(() => document.querySelector('sd-turbo')!.setAttribute('provider', 'auto'));
    await expect.poll(() => page.locator(part('provider-error')).count()).toBe(0);
    // The device type's error opened the Settings drawer, and it stays open: a click would close it.
    const drawer = page.locator('sd-turbo details[part~="settings"]');
    if (!(await drawer.evaluate((details) => (details as HTMLDetailsElement).open))) {
      await page.getByText('Settings', { exact: true }).click();
    }
    await expect
      .poll(() => textOf(page, part('webnn-status')))
      .toMatch(/^WebNN \(gpu\) is not available here: navigator\.ml is missing/);
    expect(await page.getByRole('radio', { name: /^WebNN/ }).isDisabled()).toBe(true);
    await context.close();
  });
});
