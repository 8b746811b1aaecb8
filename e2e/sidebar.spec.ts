import { expect, test } from './fixtures.ts';
import {
  composer,
  conversationButton,
  conversationItem,
  messages,
  newChat,
  sendAndWait,
  setChatSettings,
  sidebarList,
} from './ui.ts';

test('the welcome screen says what Reprise is, and the first message starts a chat', async ({ app }) => {
  const { page } = app;
  await expect(page.getByRole('region', { name: 'Welcome' })).toContainText('reads each conversation once');
  await expect(sidebarList(page)).toHaveCount(0);
  await sendAndWait(page, 'Hello from the welcome screen');
  await expect(page.getByRole('region', { name: 'Chat' })).toBeVisible();
  await expect(sidebarList(page).getByRole('listitem')).toHaveCount(1);
  await expect(sidebarList(page).getByRole('heading', { name: 'Today' })).toBeVisible();
});

test('rename and delete (with undo) from the sidebar', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { maxTokens: 20 });
  await sendAndWait(page, 'Something to keep.');
  const title = await page.getByTestId('conversation-title').innerText();

  const item = conversationItem(page, title);
  await item.hover();
  await item.getByRole('button', { name: 'Rename conversation' }).click();
  const field = page.getByRole('textbox', { name: 'Conversation title' });
  await field.fill('Renamed chat');
  await field.press('Enter');
  await expect(conversationButton(page, 'Renamed chat')).toBeVisible();
  await expect(page.getByTestId('conversation-title')).toHaveText('Renamed chat');
  await page.reload();
  await expect(conversationButton(page, 'Renamed chat')).toBeVisible();

  // Delete leaves the list at once, and Undo brings the chat back, messages and all
  const renamed = conversationItem(page, 'Renamed chat');
  await renamed.hover();
  await renamed.getByRole('button', { name: 'Delete conversation' }).click();
  await expect(conversationButton(page, 'Renamed chat')).toHaveCount(0);
  await page.getByTestId('toasts').getByRole('button', { name: 'Undo' }).click();
  await expect(conversationButton(page, 'Renamed chat')).toBeVisible();
  await page.reload();
  await conversationButton(page, 'Renamed chat').click();
  await expect(page.getByTestId('message').first()).toContainText('Something to keep.');

  // without Undo the delete is committed (here: when the page goes away, before the Undo window ends)
  await renamed.hover();
  await renamed.getByRole('button', { name: 'Delete conversation' }).click();
  await expect(conversationButton(page, 'Renamed chat')).toHaveCount(0);
  await page.reload();
  await expect(conversationButton(page, 'Renamed chat')).toHaveCount(0);
});

test('Ctrl/Cmd+K searches message text and shows highlighted snippets', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { maxTokens: 20 });
  await sendAndWait(page, 'The quick zebra crossed the savanna.');
  await newChat(page);
  await sendAndWait(page, 'Nothing to see here.');

  await page.keyboard.press('ControlOrMeta+k');
  const search = page.getByRole('searchbox', { name: 'Search conversations' });
  await expect(search).toBeFocused();
  await page.keyboard.type('zebra');
  const hit = page.getByTestId('search-hit');
  await expect(hit).toHaveCount(1);
  await expect(hit.locator('mark')).toHaveText(/zebra/i);
  await hit.click();
  await expect(messages(page, 'user').first()).toContainText('quick zebra');

  await search.press('Escape');
  await expect(search).toHaveValue('');
  await expect(sidebarList(page).getByRole('listitem')).toHaveCount(2);
});

test('Ctrl/Cmd+N starts a new chat and focuses the message box', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { maxTokens: 20 });
  await sendAndWait(page, 'First chat.');
  await page.keyboard.press('ControlOrMeta+n');
  await expect(messages(page, 'user')).toHaveCount(0);
  await expect(composer(page)).toBeFocused();
  await expect(sidebarList(page).getByRole('listitem')).toHaveCount(2);
});

test('the model, its provider and the cache budget are shown', async ({ app }) => {
  const { page } = app;
  await expect(page.getByTestId('model-name')).not.toBeEmpty();
  await expect(page.getByTestId('model-provider')).toHaveText(/^(CPU|CUDA)$/);
  await expect(page.getByTestId('model-provider')).toHaveAttribute('title', /\S/);
  await expect(page.getByTestId('cache-usage')).toContainText('/');
});

test('a folder that is not a model gives an error with cause and suggestion', async ({ app }) => {
  const { page } = app;
  await page.getByRole('button', { name: 'Open model folder…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Open model folder' });
  await dialog.getByRole('textbox', { name: 'Model folder' }).fill(app.dataDir);
  await dialog.getByRole('button', { name: 'Open', exact: true }).click();
  const error = dialog.getByTestId('error');
  await expect(error.getByTestId('error-title')).not.toBeEmpty();
  await expect(error.getByTestId('error-cause')).not.toBeEmpty();
  await expect(error.getByTestId('error-suggestion')).not.toBeEmpty();
  await dialog.getByRole('button', { name: 'Close' }).click();
  // The previous model is still in use.
  await expect(page.getByTestId('model-name')).not.toBeEmpty();
});

test('usable at 800 px wide: the sidebar collapses and comes back', async ({ app }) => {
  const { page } = app;
  await page.setViewportSize({ width: 800, height: 700 });
  await newChat(page);
  await expect(composer(page)).toBeVisible();
  await page.getByRole('button', { name: 'Show sidebar' }).click();
  await expect(page.getByRole('searchbox', { name: 'Search conversations' })).toBeVisible();
  await page.getByRole('complementary', { name: 'Sidebar' }).getByRole('button', { name: 'Hide sidebar' }).click();
  await expect(page.getByRole('searchbox', { name: 'Search conversations' })).toHaveCount(0);
});
