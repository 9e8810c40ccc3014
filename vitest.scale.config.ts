import { configDefaults, defineConfig } from 'vitest/config';
import fast, { SCALE_TESTS } from './vitest.config.js';

/** `npm run test:scale`: only the slow checks that `npm test` leaves out, with its timeouts and one file at a time. */
export default defineConfig({
  test: {
    ...fast.test,
    include: [SCALE_TESTS],
    exclude: configDefaults.exclude,
  },
});
