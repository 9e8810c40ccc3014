import { configDefaults, defineConfig } from 'vitest/config';
import fast from './vitest.config.js';

/** `npm run test:scale` (with `--tags-filter=scale`): every test file, for the checks that `npm test` leaves out. */
export default defineConfig({
  test: {
    ...fast.test,
    exclude: configDefaults.exclude,
  },
});
