import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

export default ts.config(
  {
    ignores: [
      'out/**',
      'node_modules/**',
      'fixtures/**',
      'resources/**',
      'test-results/**',
      'playwright-report/**',
      'tools/model/**/*.py',
      '.tmp/**',
    ],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    // Engine, KV and store code must run outside Electron (workers, CLI, tests, browser mode).
    files: [
      'src/main/engine/**',
      'src/main/kv/**',
      'src/main/store/**',
      'src/main/chat/**',
      'src/main/api/**',
      'src/main/app/**',
      'src/cli/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'engine/kv/store/chat/api never import Electron.' }] },
      ],
    },
  },
  {
    files: ['src/renderer/**'],
    // unit tests of the renderer's pure helpers run under Node's test runner
    ignores: ['src/renderer/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'electron', '**/main/!(api)/**', '**/main/*.ts'],
              message: 'The renderer talks only to the contract.',
            },
          ],
        },
      ],
    },
  },
);
