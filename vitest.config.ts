import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The slow checks: `npm run test:scale` (vitest.scale.config.ts) runs them, `npm test` does not, so that the
 * README's test command answers within minutes. docs/testing.md says which file sits in which tier and why.
 */
export const SCALE_TESTS = 'tests/**/*.scale.test.ts';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: [...configDefaults.exclude, SCALE_TESTS],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Browser tests share one Chromium and one dev server; running files in parallel on 2 cores only thrashes.
    fileParallelism: false,
  },
});
