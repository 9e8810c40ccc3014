// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'public/', 'models/', 'test-results/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
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
          patterns: [
            'onnxruntime-web',
            'onnxruntime-web/*',
            '../pipeline/*',
            '../components/*',
            'lit',
            'lit/*',
          ],
        },
      ],
    },
  },
  {
    files: ['src/pipeline/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../components/*', 'lit', 'lit/*'] }],
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
              group: [
                '../pipeline/*',
                '!../pipeline/index',
                '!../pipeline/index.js',
                '!../pipeline/public-types',
                '!../pipeline/public-types.js',
              ],
              message:
                'Import the pipeline through its public face (src/pipeline/index.ts), or its types that the ' +
                "element's own public types show through src/pipeline/public-types.ts.",
            },
            { group: ['../scheduler/*'], message: 'Components do not use the scheduler directly.' },
          ],
        },
      ],
    },
  },
);
