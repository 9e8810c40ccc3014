import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two tiers, one pyramid (docs/testing.md): `npm test` runs everything but the slow checks, so that the README's
 * test command answers within minutes; `npm run test:scale` (vitest.scale.config.ts) runs only the slow ones.
 * A slow check is a test, or a describe block, tagged `scale`; a file whose every check is slow is named
 * `*.scale.test.ts` and carries the module tag, so `npm test` does not even load it. The tag filters are on the
 * command lines in package.json (`--tags-filter`): one file run alone runs all of its tests.
 */
export const SCALE_TAG = 'scale';
export const SCALE_TESTS = 'tests/**/*.scale.test.ts';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: [...configDefaults.exclude, SCALE_TESTS],
    tags: [
      {
        name: SCALE_TAG,
        description:
          'Slow: the SwiftShader stand-ins, builds and packs, engines other than Chromium, and the second and later WebGPU loads of a feature that npm test already shows once.',
      },
    ],
    testTimeout: 60_000,
    // What the page shows after a worker round trip (token counts, model lists) can take seconds on 2 busy cores.
    expect: { poll: { timeout: 15_000 } },
    hookTimeout: 120_000,
    // Browser tests share one Chromium and one dev server; running files in parallel on 2 cores only thrashes.
    fileParallelism: false,
  },
});
