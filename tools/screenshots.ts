/**
 * `npx tsx tools/screenshots.ts`: README screenshots of the main screens, light and dark, from a real
 * browser-mode server with the default model (needs `npm run build` first and Debian's Chromium).
 */
import { chromium, type Page } from '@playwright/test';
import { join } from 'node:path';
import { startServer } from '../e2e/server.ts';

const OUT = join(import.meta.dirname, '..', 'docs', 'screenshots');

async function send(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('button', { name: 'Send' }).waitFor({ state: 'visible', timeout: 120_000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid="streaming-reply"]'), null, {
    timeout: 120_000,
  });
}

async function main(): Promise<void> {
  let server = await startServer();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
  await page.goto(server.url);
  await page.getByTestId('model-name').waitFor();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(OUT, `welcome-${scheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await send(page, 'Hi! My name is Maya and I live in Porto. My lucky number is 42.');
  await send(page, 'What is 36 + 27?');
  await send(page, 'How was your day?');
  // Restart the main side: the next turn restores the history from the cache instead of reading it again.
  await server.stop();
  server = await startServer({ dataDir: server.dataDir });
  await page.goto(server.url);
  await page.getByTestId('conversation-item').first().click();
  await page.getByTestId('model-name').waitFor();
  await send(page, 'Where do I live?');
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(OUT, `resume-${scheme}.png`) });
  }
  await browser.close();
  await server.stop();
  console.log(`wrote ${OUT}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
