import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { fixtureRepos, HubStandIn } from '../src/main/models/hub-stand-in.testkit.ts';
import { expect, test as base } from './fixtures.ts';
import { messages, newChat, sendAndWait } from './ui.ts';

const REPO = 'reprise-test/tiny-llama-ONNX';
const FIXTURES = join(process.cwd(), 'fixtures', 'models');

// The app's server talks to a local stand-in of the Hugging Face hub (HF_ENDPOINT), serving our fixture repos.
async function expectNoViolations(page: Page, state: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  expect(
    violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    `axe violations in ${state}`,
  ).toEqual([]);
}

const test = base.extend<{ hub: HubStandIn }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixtures a function destructures
  hub: async ({}, use) => {
    // Slow enough that the progress of a half-megabyte model is on screen for a while.
    const hub = new HubStandIn(fixtureRepos(FIXTURES), { throttleBytesPerSec: 128 * 1024 });
    await hub.start();
    await use(hub);
    await hub.stop();
  },
  serverEnv: async ({ hub }, use) => use({ HF_ENDPOINT: hub.url, HF_TOKEN: '' }),
});

test('search the hub, download with visible progress, chat with the new model, switch back', async ({ app, hub }) => {
  const { page } = app;
  const card = page.getByTestId('model-name');
  await expect(card).toBeVisible({ timeout: 60_000 });
  const builtIn = (await card.innerText()).trim();

  await page.getByRole('button', { name: 'Models', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Models' });
  await expect(dialog.getByRole('list', { name: 'Starters' })).toContainText('Qwen2.5 0.5B Instruct');
  await expectNoViolations(page, 'Models with the starters');
  await dialog.getByLabel('Search the hub').fill('tiny');
  await dialog.getByLabel('Sort by').selectOption('likes');
  await dialog.getByRole('button', { name: 'Search', exact: true }).click();
  const results = dialog.getByTestId('model-results');
  await expect(results).toContainText(REPO);
  // sorted by likes: the extdata repo (9 likes) comes before tiny-llama-ONNX (3)
  await expect(results.getByRole('button').first()).toHaveText('reprise-test/tiny-llama-extdata-ONNX');

  await results.getByRole('button', { name: REPO, exact: true }).click();
  const variants = dialog.getByTestId('model-variants');
  await expect(variants.getByRole('heading', { name: REPO })).toBeVisible();
  await expect(variants).toContainText('fp16');
  // on a CPU the full-precision graph is recommended over fp16, and the page says why
  const recommended = variants.locator('li.recommended');
  await expect(recommended).toContainText('fp32');
  await expect(recommended).toContainText('Why:');
  await expectNoViolations(page, 'search results and variants');

  // a slow first try, cancelled half-way
  hub.throttleBytesPerSec = 16 * 1024;
  await variants.getByRole('button', { name: /^Download fp32/ }).click();
  const download = dialog.getByTestId('model-download');
  await expect(download.getByRole('progressbar', { name: 'Download progress' })).toBeVisible();
  await expectNoViolations(page, 'a download in progress');
  await expect(download.getByTestId('download-status')).toContainText(
    /Downloaded\s+[\d.]+ KB\s+of\s+[\d.]+ KB\s+·\s+[\d.]+ KB\/s/,
  );
  await download.getByRole('button', { name: 'Cancel download' }).click();
  await expect(download).toHaveCount(0);
  await expect(page.getByText(/Download cancelled; start it again to resume/)).toBeVisible();
  await expect(dialog.getByTestId('installed-model')).toHaveCount(0);

  // the second try resumes from the bytes of the first
  hub.throttleBytesPerSec = 128 * 1024;
  await variants.getByRole('button', { name: /^Download fp32/ }).click();
  await expect(download.getByTestId('download-status')).toContainText(/[\d.]+ KB resumed/);
  await expect(download).toHaveCount(0, { timeout: 60_000 });

  const installed = dialog.getByTestId('installed-model').filter({ hasText: 'tiny-llama-ONNX-fp32' });
  await expect(installed).toContainText('fp32');
  await expect(installed).toContainText('never used');
  await installed.getByRole('button', { name: 'Use tiny-llama-ONNX-fp32' }).click();
  await expect(card).toHaveText('tiny-llama-ONNX-fp32', { timeout: 60_000 });
  await expect(installed).toContainText('In use');
  // opening it recorded its use (the library's "last used")
  await expect(installed).not.toContainText('never used');

  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await newChat(page);
  await sendAndWait(page, 'Hello there');
  await expect(messages(page, 'assistant')).toHaveCount(1);
  await expect(messages(page, 'assistant').first()).not.toBeEmpty();

  await page.getByRole('button', { name: 'Models', exact: true }).click();
  await dialog.getByRole('button', { name: 'Use built-in model' }).click();
  await expect(card).toHaveText(builtIn, { timeout: 60_000 });
  await expect(dialog.getByTestId('models-installed').locator('li').first()).toContainText('In use');

  // delete it: the confirmation says what it frees, its chat's cache included when asked to
  await installed.getByRole('button', { name: 'Delete tiny-llama-ONNX-fp32' }).click();
  const confirm = dialog.getByRole('group', { name: 'Delete tiny-llama-ONNX-fp32?' });
  await expect(confirm).toContainText(/frees [\d.]+ KB on disk/);
  await expect(confirm).toContainText(/Its KV cache \(\d+ blocks?, [\d.]+ KB\)/);
  await expectNoViolations(page, 'delete confirmation');
  await confirm.getByLabel(/Also delete its cache/).check();
  await confirm.getByRole('button', { name: 'Delete tiny-llama-ONNX-fp32' }).click();
  await expect(installed).toHaveCount(0);
  await expect(
    page.getByText(/Deleted tiny-llama-ONNX-fp32: freed [\d.]+ KB and [\d.]+ (KB|B) of its cache/),
  ).toBeVisible();
});

test('a gated model: refused without a token, with a way to the setting; downloads with the saved token', async ({
  app,
}) => {
  const { page } = app;
  const GATED = 'reprise-test/gated-llama-ONNX';
  await expect(page.getByTestId('model-name')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Models', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Models' });
  await expect(dialog.getByTestId('hf-token')).toContainText('none; gated models need one');
  await dialog.getByLabel('Search the hub').fill('gated');
  await dialog.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(dialog.getByTestId('model-results')).toContainText('gated: needs a Hugging Face token');
  await dialog.getByRole('button', { name: GATED, exact: true }).click();
  await expect(dialog.getByTestId('error')).toContainText('This model needs a Hugging Face token');
  await expect(dialog.getByTestId('error')).toContainText('About Reprise → Hugging Face token');

  // one click to the setting
  await dialog.getByRole('button', { name: 'Set a Hugging Face token…' }).click();
  const about = page.getByRole('dialog', { name: 'About Reprise' });
  await expect(about.getByTestId('hf-token-state')).toContainText('None saved');
  await about.getByLabel('Access token').fill('hf_standin_allowed');
  await about.getByRole('button', { name: 'Save token' }).click();
  await expect(about.getByRole('status').filter({ hasText: 'Token saved' })).toBeVisible();
  await expect(about.getByTestId('hf-token-state')).toContainText('In use: the saved one.');
  await expect(about.getByLabel('Access token')).toHaveValue('');
  await expectNoViolations(page, 'the token setting');
  await about.getByRole('button', { name: 'Close' }).click();

  await page.getByRole('button', { name: 'Models', exact: true }).click();
  await expect(dialog.getByTestId('hf-token')).toContainText('the one saved in Reprise');
  await dialog.getByLabel('Search the hub').fill('gated');
  await dialog.getByRole('button', { name: 'Search', exact: true }).click();
  await dialog.getByRole('button', { name: GATED, exact: true }).click();
  await dialog
    .getByTestId('model-variants')
    .getByRole('button', { name: /^Download fp32/ })
    .click();
  await expect(dialog.getByTestId('installed-model').filter({ hasText: 'gated-llama-ONNX-fp32' })).toBeVisible({
    timeout: 60_000,
  });
});
