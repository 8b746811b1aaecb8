import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures.ts';
import {
  conversationButton,
  conversationItem,
  INTRO,
  lastTurnTokens,
  messages,
  newChat,
  sendAndWait,
  setChatSettings,
  sidebarList,
} from './ui.ts';

test('export a resumable bundle, delete the chat, import it, and resume without reading the history again', async ({
  app,
}, testInfo) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { temperature: 0, maxTokens: 40 });
  await sendAndWait(page, INTRO);
  const title = await page.getByTestId('conversation-title').innerText();

  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await page.getByRole('menuitem', { name: /Resumable bundle/ }).click();
  const download = await downloading;
  const file = testInfo.outputPath(download.suggestedFilename());
  await download.saveAs(file);
  expect(readFileSync(file).byteLength).toBeGreaterThan(0);

  const item = conversationItem(page, title);
  await item.hover();
  await item.getByRole('button', { name: 'Delete conversation' }).click();
  await expect(conversationButton(page, title)).toHaveCount(0);
  // the real delete waits for the Undo window: the import below must not meet the chat it came from
  await expect(page.getByTestId('toasts').getByRole('button', { name: 'Undo' })).toHaveCount(0, { timeout: 20_000 });

  const choosing = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await (await choosing).setFiles(file);
  await expect(conversationButton(page, title)).toBeVisible();
  await expect(page.getByTestId('conversation-title')).toHaveText(title);
  await expect(messages(page, 'user').first()).toContainText('My name is Alice');

  await sendAndWait(page, 'What is my name?');
  const { restored, prefilled } = await lastTurnTokens(page);
  expect(restored, 'the imported cache was used').toBeGreaterThan(0);
  expect(prefilled, 'only the new message was read').toBeLessThan(restored);
});

test('a malformed import shows a clear error and changes nothing', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { maxTokens: 20 });
  await sendAndWait(page, 'Hello there.');
  const before = await sidebarList(page).getByRole('listitem').count();
  expect(before).toBe(1);

  const choosing = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await (
    await choosing
  ).setFiles({
    name: 'broken.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"format":"reprise","version":1,"conversations":[{"id":"x","title":'),
  });

  const error = page.getByTestId('error').filter({ has: page.getByTestId('error-title') });
  await expect(error).toBeVisible();
  await expect(error).toHaveAttribute('role', 'alert');
  await expect(error.getByTestId('error-title')).not.toBeEmpty();
  await expect(error.getByTestId('error-cause')).not.toBeEmpty();
  await expect(error.getByTestId('error-suggestion')).not.toBeEmpty();

  await expect(sidebarList(page).getByRole('listitem')).toHaveCount(before);
  await page.reload();
  await expect(sidebarList(page).getByRole('listitem')).toHaveCount(before);
});

test('importing the same file twice asks first: open the earlier import, or make copies', async ({ app }) => {
  const { page } = app;
  const file = {
    format: 'reprise',
    version: 1,
    exportedAt: 1_700_000_000_000,
    conversations: [
      {
        id: 'twice',
        title: 'Imported twice',
        createdAt: 1_700_000_000_000,
        updatedAt: 1_700_000_000_000,
        activeLeafId: 'a0',
        messages: [
          { id: 'u0', parentId: null, role: 'user', content: 'Hello', createdAt: 1_700_000_000_000 },
          { id: 'a0', parentId: 'u0', role: 'assistant', content: 'Hi there', createdAt: 1_700_000_000_001 },
        ],
      },
    ],
  };
  const upload = async () => {
    const choosing = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await (
      await choosing
    ).setFiles({ name: 'twice.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
  };
  const rows = page.getByRole('navigation', { name: 'Conversations' }).getByRole('listitem');

  await upload();
  await expect(page.getByTestId('conversation-title')).toHaveText('Imported twice');
  await expect(rows).toHaveCount(1);

  await upload();
  const ask = page.getByRole('alertdialog', { name: 'Already imported' });
  await expect(ask).toContainText('“twice.json” was imported on');
  await ask.getByRole('button', { name: 'Open the earlier import' }).click();
  await expect(ask).toHaveCount(0);
  await expect(rows).toHaveCount(1);

  await upload();
  await ask.getByRole('button', { name: 'Import copies' }).click();
  await expect(rows).toHaveCount(2);
});
