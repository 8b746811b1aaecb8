/** Moving around: the narrow window's drawer, empty new chats, the settings panel and search by keyboard. */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import {
  composer,
  conversationButton,
  importConversations,
  messages,
  newChat,
  newChatButton,
  setChatSettings,
  send,
  sidebarList,
} from './ui.ts';

const TWO = [
  { title: 'Alpha chat', turns: [['Tell me about alpacas', 'Alpacas are woolly.']] as [string, string][] },
  { title: 'Beta chat', turns: [['Tell me about beetles', 'Beetles have wings.']] as [string, string][] },
];

const title = (page: Page) => page.getByTestId('conversation-title');
const search = (page: Page) => page.getByRole('searchbox', { name: 'Search conversations' });
const drawer = (page: Page) => page.getByRole('complementary', { name: 'Sidebar' });

test('narrow window: picking a conversation, New chat or a search hit closes the drawer; so does Esc', async ({
  app,
}) => {
  const { page } = app;
  await importConversations(page, TWO);
  await page.setViewportSize({ width: 800, height: 700 });
  await expect(drawer(page)).toHaveCount(0);
  const show = page.getByRole('button', { name: 'Show sidebar' });

  await show.click();
  await conversationButton(page, 'Beta chat').click();
  await expect(title(page)).toHaveText('Beta chat');
  await expect(drawer(page)).toHaveCount(0);

  await show.click();
  await expect(search(page)).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(drawer(page)).toHaveCount(0);
  await expect(show).toBeFocused();

  // Esc with focus inside the drawer as well.
  await show.click();
  await search(page).focus();
  await page.keyboard.press('Escape');
  await expect(drawer(page)).toHaveCount(0);
  await expect(show).toBeFocused();

  await show.click();
  await search(page).fill('alpacas');
  await page.getByTestId('search-hit').first().click();
  await expect(title(page)).toHaveText('Alpha chat');
  await expect(drawer(page)).toHaveCount(0);

  await show.click();
  await newChatButton(page).click();
  await expect(drawer(page)).toHaveCount(0);
  await expect(messages(page, 'user')).toHaveCount(0);
  await expect(composer(page)).toBeFocused();
});

test('an empty New chat is reused, and discarded when left untouched; one with settings is kept', async ({ app }) => {
  const { page } = app;
  await importConversations(page, TWO);
  const items = sidebarList(page).getByRole('listitem');
  await expect(items).toHaveCount(2);

  // New chat, then another chat without typing: the empty one goes, from the list and from the data.
  await newChat(page);
  await expect(items).toHaveCount(3);
  await newChat(page); // already empty: reused
  await page.keyboard.press('ControlOrMeta+n');
  await expect(items).toHaveCount(3);
  await conversationButton(page, 'Alpha chat').click();
  await expect(title(page)).toHaveText('Alpha chat');
  await expect(items).toHaveCount(2);
  await page.keyboard.press('ControlOrMeta+n');
  await expect(items).toHaveCount(3);
  await conversationButton(page, 'Beta chat').click();
  await expect(items).toHaveCount(2);

  // A new chat whose settings were edited is the user's work: kept.
  await newChat(page);
  await setChatSettings(page, { systemPrompt: 'You answer in haiku.' });
  await conversationButton(page, 'Alpha chat').click();
  await expect(title(page)).toHaveText('Alpha chat');
  // And one with a message, of course, even when left while the reply still runs.
  await newChat(page);
  await send(page, 'Keep this chat');
  await expect(messages(page, 'user')).toHaveCount(1);
  await conversationButton(page, 'Beta chat').click();
  await expect(title(page)).toHaveText('Beta chat');
  await expect(items).toHaveCount(4);
  await page.keyboard.press('ControlOrMeta+n');
  // the reply runs in the chat left behind (not shown here); its title comes when it is done
  await expect(conversationButton(page, 'Keep this chat')).toBeVisible({ timeout: 120_000 });
  await conversationButton(page, 'Keep this chat').click();
  await expect(messages(page, 'user')).toHaveCount(1);
  await page.reload();
  await expect(items).toHaveCount(4);
  await expect(conversationButton(page, 'Keep this chat')).toBeVisible();
  await expect(conversationButton(page, 'Alpha chat')).toBeVisible();
  await expect(conversationButton(page, 'Beta chat')).toBeVisible();
});

test('the settings panel takes focus when it opens; Esc closes it and gives focus back', async ({ app }) => {
  const { page } = app;
  await importConversations(page, TWO.slice(0, 1));
  const settingsButton = page.getByRole('button', { name: 'Chat settings' });
  const panel = page.getByRole('complementary', { name: 'Conversation settings' });
  await settingsButton.click();
  await expect(panel.getByLabel('System prompt')).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(settingsButton).toBeFocused();
});

test('search by keyboard: Enter opens the first hit, ArrowDown walks the hits', async ({ app }) => {
  const { page } = app;
  await importConversations(page, [
    { title: 'Gamma chat', turns: [['Where do penguins live?', 'Penguins live in the south.']] },
    ...TWO,
  ]);
  await expect(title(page)).toHaveText('Gamma chat');

  await page.keyboard.press('ControlOrMeta+k');
  await page.keyboard.type('beetles');
  await expect(page.getByTestId('search-hit')).not.toHaveCount(0);
  await page.keyboard.press('Enter');
  await expect(title(page)).toHaveText('Beta chat');

  await search(page).fill('Tell me about');
  const hits = page.getByTestId('search-hit');
  // the previous query's hits stay on screen until the new ones arrive: wait for these
  await expect(page.getByRole('region', { name: 'Search results' })).toHaveAttribute('aria-busy', 'false');
  await expect(hits).toHaveCount(2);
  await search(page).press('ArrowDown');
  await expect(hits.nth(0)).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(hits.nth(1)).toBeFocused();
  const second = (await hits.nth(1).locator('.title').innerText()).trim();
  await page.keyboard.press('Enter');
  await expect(title(page)).toHaveText(second);
  await hits.nth(1).focus();
  await page.keyboard.press('ArrowUp');
  await expect(hits.nth(0)).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(search(page)).toBeFocused();
});
