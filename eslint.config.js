import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

const UP_FROM = {
  engine: [
    '**/kv/**',
    '**/store/**',
    '**/chat/**',
    '**/app/**',
    '**/service/**',
    '**/transport/**',
    '**/shell/**',
    '**/local-api/**',
    '**/models/**',
  ],
  storage: [
    '**/chat/**',
    '**/app/**',
    '**/service/**',
    '**/transport/**',
    '**/shell/**',
    '**/local-api/**',
    '**/models/**',
  ],
  chat: ['**/app/**', '**/service/**', '**/transport/**', '**/shell/**', '**/local-api/**'],
  app: ['**/service/**', '**/transport/**', '**/shell/**', '**/local-api/**'],
  service: ['**/transport/**', '**/shell/**', '**/local-api/**'],
};

/**
 * One no-restricted-imports config per layer (ESLint replaces, not merges, a rule set twice for a file):
 * production files get the layer's list plus the test-scaffolding ban; tests get the layer's list (Node's
 * test runner allowed).
 */
function layer(files, banned, message) {
  const rule = (groups, extra) => ({
    'no-restricted-imports': [
      'error',
      {
        patterns: [{ group: groups, message }, ...extra],
      },
    ],
  });
  const testkit = { group: ['**/*.testkit.ts'], message: 'Test scaffolding (*.testkit.ts) is for tests only.' };
  return [
    { files, ignores: ['**/*.test.ts', '**/*.testkit.ts'], rules: rule(banned, [testkit]) },
    {
      files: files.map((f) => f.replace(/\*\*$/, '**/*.{test,testkit}.ts')),
      rules: rule(
        banned.filter((b) => b !== 'node:*'),
        [],
      ),
    },
  ];
}

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
  // Layers point one way: renderer → shared contract ← main service → chat → store/kv → engine.
  // Each folder lists what it may not import; `electron` only in the shell, transport, preload and index.
  ...layer(
    ['src/shared/**'],
    ['**/main/**', '**/renderer/**', '**/preload/**', 'node:*', 'electron'],
    'src/shared is the contract both sides see: it imports nothing from main, renderer or Node.',
  ),
  ...layer(
    ['src/renderer/**'],
    ['**/main/**', '**/preload/**', 'node:*', 'electron'],
    'The renderer talks only to the contract in src/shared.',
  ),
  ...layer(
    ['src/preload/**'],
    ['**/main/**', '**/renderer/**', 'node:*'],
    'The preload exposes the contract channel from src/shared, nothing more.',
  ),
  ...layer(
    ['src/main/tensor/**'],
    [...UP_FROM.engine, '**/engine/**', 'onnxruntime-node', 'electron'],
    'tensor/ (KV layout types, half floats) is what engine/ and kv/ share: it imports neither.',
  ),
  ...layer(['src/main/engine/**'], [...UP_FROM.engine, 'electron'], 'engine/ is the lowest layer above tensor/.'),
  ...layer(
    ['src/main/kv/**', 'src/main/store/**'],
    [...UP_FROM.storage, 'electron'],
    'kv/ and store/ sit below chat/: they never import it or anything above it.',
  ),
  ...layer(['src/main/chat/**'], [...UP_FROM.chat, 'electron'], 'chat/ sits below the service and the app.'),
  ...layer(
    ['src/main/models/**'],
    [...UP_FROM.app, '**/chat/**', 'electron'],
    'models/ (hub client, downloads, library) sits beside app/: it never imports chat/, the service or a front door.',
  ),
  ...layer(
    ['src/main/app/**'],
    [...UP_FROM.app, 'electron'],
    'app/ assembles the backend; it never imports the service.',
  ),
  ...layer(
    ['src/main/service/**'],
    [...UP_FROM.service, 'electron'],
    'The service implements the contract; front doors (transports, the local API, the shell) call it, not the other way round.',
  ),
  ...layer(
    ['src/cli/**'],
    ['**/transport/**', '**/shell/**', 'electron'],
    'The CLI is headless: no Electron, no UI transports.',
  ),
  ...layer(
    ['src/main/local-api/**'],
    ['**/transport/**', '**/shell/**', '**/renderer/**', 'electron'],
    'The local API is a front door: it calls the backend, never another front door or Electron.',
  ),
  ...layer(
    ['src/main/transport/**', 'src/main/shell/**', 'src/main/*.ts'],
    ['**/renderer/**'],
    'The main process never imports the renderer.',
  ),
);
