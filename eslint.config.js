// @ts-check
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers (docs/code-map.md): components reach the pipeline only through its face (index.ts, and
 * types.ts for the element's public types); the engine knows neither the worker boundary nor the store;
 * the scheduler is pure math. tests/lint-rules.test.ts shows each rule firing on tests/fixtures/lint/.
 */
const LAYERS = [
  {
    target: './src/components',
    from: './src/pipeline',
    except: ['./index.ts', './types.ts'],
    message: 'Components import the pipeline through its face: src/pipeline/index.ts (types: types.ts).',
  },
  {
    target: './src/pipeline/engine',
    from: ['./src/pipeline/worker', './src/pipeline/storage'],
    message: 'The engine runs sessions it is given: it knows neither the worker boundary nor the store.',
  },
  {
    target: './src/scheduler',
    from: ['./src/pipeline', './src/components'],
    message: 'The scheduler is pure math: no pipeline, no components.',
  },
];

export default tseslint.config(
  {
    // tests/fixtures/lint/ breaks the rules on purpose: tests/lint-rules.test.ts lints it.
    ignores: [
      'dist/',
      'node_modules/',
      'public/',
      'models/',
      'test-results/',
      '.cache/',
      'tests/fixtures/lint/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // Without these, import-x parses only .js files and follows no import of a .ts one.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver()],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: LAYERS }],
    },
  },
  {
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
        console: 'readonly',
        process: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Layering: the scheduler is pure math, the components never reach into ORT.
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['src/scheduler/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: ['onnxruntime-web', 'onnxruntime-web/*', 'lit', 'lit/*'],
        },
      ],
    },
  },
  {
    files: ['src/pipeline/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/components/*', 'lit', 'lit/*'] }],
    },
  },
  {
    files: ['src/components/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['onnxruntime-web', 'onnxruntime-web/*'],
              message: 'Components talk to the pipeline, never to ORT.',
            },
            {
              group: ['**/scheduler/*'],
              message: 'Components do not use the scheduler directly.',
            },
          ],
        },
      ],
    },
  },
);
