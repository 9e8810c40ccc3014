import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Browser tests share one Chromium and one dev server; running files in parallel on 2 cores only thrashes.
    fileParallelism: false,
  },
});
