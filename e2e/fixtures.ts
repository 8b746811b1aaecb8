/**
 * The `app` fixture gives every spec the real UI over one of two carriers: browser mode (a served page
 * in Debian's Chromium) or the Electron window. Specs never care which.
 */
import { test as base, _electron, type Browser, type ElectronApplication, type Page } from '@playwright/test';
import { startServer, tempDataDir, type RunningServer } from './server.ts';

export type AppKind = 'browser' | 'electron';

export interface ReprisApp {
  page: Page;
  dataDir: string;
  kind: AppKind;
  /** Stops the app's main side and starts it again on the same data directory, reloading the page. */
  restart(): Promise<void>;
  /** Browser mode only: the server behind the page. */
  server?: RunningServer;
}

export const test = base.extend<
  { app: ReprisApp; serverArgs: string[]; serverEnv: Record<string, string> },
  { appKind: AppKind; appBrowser: Browser | null }
>({
  appKind: ['browser', { option: true, scope: 'worker' }],
  serverArgs: [[], { option: true }],
  /** Extra environment for browser mode's server (HF_ENDPOINT of a test's hub stand-in, say). */
  serverEnv: [{}, { option: true }],
  // Launched only for browser mode, so the Electron project never needs a browser binary.
  appBrowser: [
    async ({ appKind, playwright, launchOptions }, use) => {
      if (appKind !== 'browser') return use(null);
      const browser = await playwright.chromium.launch(launchOptions);
      await use(browser);
      await browser.close();
    },
    { scope: 'worker' },
  ],
  app: async ({ appKind, appBrowser, serverArgs, serverEnv }, use) => {
    const dataDir = tempDataDir();
    if (appKind === 'electron') {
      const reason = process.env.REPRISE_ELECTRON_SKIP;
      base.skip(reason !== undefined, reason);
      const env = { ...(process.env as Record<string, string>), ...serverEnv };
      let electron: ElectronApplication = await _electron.launch({
        args: ['.', `--data-dir=${dataDir}`, ...serverArgs],
        env,
      });
      const app: ReprisApp = {
        page: await electron.firstWindow(),
        dataDir,
        kind: 'electron',
        async restart() {
          await electron.close();
          electron = await _electron.launch({ args: ['.', `--data-dir=${dataDir}`, ...serverArgs], env });
          app.page = await electron.firstWindow();
        },
      };
      await use(app);
      await electron.close();
      return;
    }
    const context = await appBrowser!.newContext();
    const page = await context.newPage();
    let server = await startServer({ dataDir, args: serverArgs, env: serverEnv });
    await page.goto(server.url);
    const app: ReprisApp = {
      page,
      dataDir,
      kind: 'browser',
      server,
      async restart() {
        await server.stop();
        server = await startServer({ dataDir, args: serverArgs, env: serverEnv });
        app.server = server;
        await page.goto(server.url);
        await page.reload();
      },
    };
    await use(app);
    await context.close();
    await server.stop();
  },
});

export { expect } from '@playwright/test';
