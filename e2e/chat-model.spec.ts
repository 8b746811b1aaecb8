// A chat remembers its model: opened under another one it says so, switches back in one click, and the turn
// after the switch resumes from the cache. Two fixture models stand for two real ones.
import { join } from 'node:path';
import { expect, test } from './fixtures.ts';
import { conversationButton, lastTurnCache, newChat, sendAndWait } from './ui.ts';

const FIXTURES = join(process.cwd(), 'fixtures', 'models');
test.use({ serverArgs: ['--model', join(FIXTURES, 'tiny-llama')] });

test('a chat made with another model says so, switches back in one click and resumes', async ({ app }) => {
  const { page } = app;
  const card = page.getByTestId('model-name');
  await expect(card).toHaveText('tiny-llama', { timeout: 60_000 });

  await newChat(page);
  await sendAndWait(page, 'Hello from A');
  await expect(page.getByTestId('chat-model')).toHaveText('tiny-llama');
  const titleA = (await page.getByTestId('conversation-title').innerText()).trim();

  // the other model, through the folder dialog
  await page.getByRole('button', { name: 'Open model folder…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Open model folder' });
  await dialog.getByRole('textbox', { name: 'Model folder' }).fill(join(FIXTURES, 'tiny-llama-fp16kv'));
  await dialog.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(card).toHaveText('tiny-llama-fp16kv', { timeout: 60_000 });
  await expect(dialog).toHaveCount(0);

  // the open chat now says it was made with A
  const banner = page.getByTestId('model-mismatch');
  await expect(banner).toContainText('This chat was made with tiny-llama; tiny-llama-fp16kv is loaded.');
  await expect(banner).toContainText('the next reply re-reads the whole history');
  await expect(page.getByTestId('chat-model')).toHaveText('tiny-llama');

  // a chat made with B has no banner
  await newChat(page);
  await sendAndWait(page, 'Hello from B');
  await expect(page.getByTestId('chat-model')).toHaveText('tiny-llama-fp16kv');
  await expect(banner).toHaveCount(0);

  // back to A's chat: one click switches the model
  await conversationButton(page, titleA).click();
  await expect(banner).toBeVisible();
  await banner.getByRole('button', { name: 'Switch to tiny-llama' }).click();
  await expect(card).toHaveText('tiny-llama', { timeout: 60_000 });
  await expect(banner).toHaveCount(0);

  // and the next turn restores the history instead of reading it
  await sendAndWait(page, 'Still there?');
  await expect(lastTurnCache(page)).toContainText('Resumed');
});

test('recent folders: a folder opened by path is offered again, one click opens it', async ({ app }) => {
  const { page } = app;
  const card = page.getByTestId('model-name');
  await expect(card).toHaveText('tiny-llama', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Open model folder…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Open model folder' });
  const other = join(FIXTURES, 'tiny-llama-fp16kv');
  await dialog.getByRole('textbox', { name: 'Model folder' }).fill(other);
  await dialog.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(card).toHaveText('tiny-llama-fp16kv', { timeout: 60_000 });

  // the folder it came from is a recent one now; the loaded one is not offered
  await page.getByRole('button', { name: 'Open model folder…' }).click();
  const recent = dialog.getByTestId('recent-folders');
  await expect(recent.getByRole('button', { name: `Open tiny-llama (${join(FIXTURES, 'tiny-llama')})` })).toBeVisible();
  await expect(recent).not.toContainText(other);
  await recent.getByRole('button', { name: /^Open tiny-llama \(/ }).click();
  await expect(card).toHaveText('tiny-llama', { timeout: 60_000 });
  await expect(dialog).toHaveCount(0);

  // the Models page lists both folders opened by path
  await page.getByRole('button', { name: 'Models', exact: true }).click();
  const models = page.getByRole('dialog', { name: 'Models' });
  const listed = models.getByTestId('recent-folders');
  await expect(listed).toContainText(other);
  await listed.getByRole('button', { name: `Use tiny-llama-fp16kv (${other})` }).click();
  await expect(card).toHaveText('tiny-llama-fp16kv', { timeout: 60_000 });
});
