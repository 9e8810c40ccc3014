// @module-tag scale
/**
 * `sizes` at SD-Turbo's topology: the narrow stand-in (64x64 latents, attention over 4096 positions at
 * 512x512) at 512x768 on wasm through the pipeline (`sizedModelEntry`) equals the same computation done
 * stage by stage with ORT's own sessions, the spatial dimensions fixed by hand (tests/pages/sizes-page.ts).
 * The stand-in is written to a folder of this test's own: models/ may hold a manifest of another version.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStandinModels } from '../scripts/standin-models/index.js';
import { REPO_ROOT } from '../scripts/tiny-models/index.js';
import { STANDIN_MODEL_SETS } from '../scripts/standin-models/config.js';
import { startTestApp, type TestApp } from './support/browser.js';

const MODELS_DIR = '.cache/sizes-standin';
/** Two 512x768 images on wasm: the pipeline's load and image took 58 to 73 s on this 2-core machine beside other jobs. */
const TIMEOUT_MS = 300_000;

let app: TestApp;
let page: Page;
let logs: string[];

beforeAll(async () => {
  const sets = STANDIN_MODEL_SETS.filter((set) => set.id === 'standin-narrow-fp32');
  await writeStandinModels({ sets, modelsDir: join(REPO_ROOT, MODELS_DIR) });
  app = await startTestApp();
  ({ page, logs } = await app.openTestPage('/tests/pages/sizes.html'));
}, TIMEOUT_MS);

afterAll(() => app?.close());

describe('standin-narrow-fp32 at 512x768 on wasm', () => {
  it(
    'makes a 512 wide, 768 high image equal to the stage-by-stage computation',
    { timeout: TIMEOUT_MS },
    async () => {
      const spec = {
        manifest: `/${MODELS_DIR}/standin-manifest.json`,
        modelId: 'standin-narrow-fp32',
        prompt: 'a tall lighthouse',
        seed: 7,
        width: 512,
        height: 768,
      };
      const started = performance.now();
      const made = await page.evaluate((s) => window.sizesTest.pipelineImage(s), spec);
      const pipelineSeconds = (performance.now() - started) / 1000;
      const reference = await page.evaluate((s) => window.sizesTest.stageByStage(s), spec);
      console.log(`pipeline load and image at 512x768: ${pipelineSeconds.toFixed(1)} s`);
      expect([made.width, made.height], logs.join('\n')).toEqual([512, 768]);
      expect(made.pixels.length).toBe(512 * 768 * 4);
      expect(made.pixels).toEqual(reference);
      expect(new Set(made.pixels.filter((_, i) => i % 4 === 0)).size).toBeGreaterThan(16);
    },
  );
});
