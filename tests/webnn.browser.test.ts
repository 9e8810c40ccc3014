/**
 * provider: 'webnn' in this machine's Chromium: WebNN is offered only where navigator.ml.createContext
 * succeeds; here it does not, and the pipeline says exactly why, with and without the WebNN flag.
 */
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels } from '../scripts/tiny-models/index.js';
import { launchChromium, openPage, startDevServer } from './support/browser.js';

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
  await page.waitForSelector('body[data-ready="true"]');
  return page.evaluate(
    (type) => window.pipelineTest.loadError('tiny-fp32', { provider: 'webnn', webnnDeviceType: type }),
    deviceType,
  );
}

describe('WebNN provider in this Chromium', () => {
  it('with the WebNN flag: refuses with createContext’s exact error', async () => {
    for (const deviceType of ['gpu', 'cpu'] as const) {
      const outcome = await webnnLoadOutcome(
        ['--enable-features=WebMachineLearningNeuralNetwork'],
        deviceType,
      );
      expect(outcome.ok).toBe(false);
      expect(outcome.code).toBe('unsupported-device');
      expect(outcome.message).toContain(
        `navigator.ml.createContext({ deviceType: '${deviceType}' }) failed: NotSupportedError: ` +
          "Failed to execute 'createContext' on 'ML': WebNN is not supported on this platform.",
      );
    }
  });

  it('without it: says navigator.ml is missing', async () => {
    const outcome = await webnnLoadOutcome([], 'gpu');
    expect(outcome.code).toBe('unsupported-device');
    expect(outcome.message).toMatch(/navigator\.ml is missing/);
  });
});
