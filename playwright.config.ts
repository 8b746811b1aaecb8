import { defineConfig } from '@playwright/test';
import type { AppKind } from './e2e/fixtures.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Debian's Chromium; Playwright never downloads a browser here.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the Electron project cannot run, or null when it can. */
function electronSkipReason(): string | null {
  const pathFile = join('node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return "Electron's binary is not installed (it cannot be downloaded in this environment)";
  if (!existsSync(join('node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8'))))
    return "Electron's binary is missing";
  return null;
}
const electronReason = electronSkipReason();
if (electronReason) {
  process.env.REPRISE_ELECTRON_SKIP = electronReason;
  if (!process.env.TEST_WORKER_INDEX) console.log(`Playwright project 'electron' is skipped: ${electronReason}.`);
}

export default defineConfig<{ appKind: AppKind }>({
  testDir: 'e2e',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'browser',
      use: {
        appKind: 'browser',
        browserName: 'chromium',
        launchOptions: {
          executablePath: chromium,
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
    {
      name: 'electron',
      use: { appKind: 'electron' },
    },
  ],
});
