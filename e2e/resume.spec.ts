import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import {
  conversationButton,
  importConversations,
  INTRO,
  lastTurnCache,
  lastTurnTokens,
  messages,
  newChat,
  sendAndWait,
  setChatSettings,
} from './ui.ts';

/** Tells the model a fact, restarts the whole main side, and reopens the chat. Returns its title. */
async function chatThenRestart(app: { page: Page; restart(): Promise<void> }): Promise<string> {
  let { page } = app;
  await newChat(page);
  await setChatSettings(page, { temperature: 0, maxTokens: 40 });
  await sendAndWait(page, INTRO);
  const title = await page.getByTestId('conversation-title').innerText();

  await app.restart();
  page = app.page;
  // open the chat once the model is ready: its cache is then restored at once (a message sent while the
  // model still loads restores for itself, and its bar rightly says so)
  await expect(page.getByTestId('model-name')).toBeVisible();
  await conversationButton(page, title).click();
  await expect(messages(page, 'user').first()).toContainText('My name is Alice');
  return title;
}

test('after a restart, a resumed chat restores its history from the cache and reads only the new message', async ({
  app,
}) => {
  await chatThenRestart(app);
  const { page } = app;
  await sendAndWait(page, 'What is my name?');

  const { restored, prefilled } = await lastTurnTokens(page);
  expect(restored, 'the history came from the cache').toBeGreaterThan(0);
  expect(prefilled, 'the new message was read').toBeGreaterThan(0);
  expect(prefilled, 'only the new message was read, not the history').toBeLessThan(restored);
  await expect(lastTurnCache(page)).toContainText('Resumed');
  const shown = await lastTurnCache(page).getByTestId('turn-restored').innerText();
  expect(Number(shown.replace(/\D/g, '')), 'the bar shows the restored count').toBe(restored);
  // opening the chat restored its cache before the message was sent: the bar says where it came from
  await expect(lastTurnCache(page).getByTestId('turn-restore-opened')).toContainText('when the chat was opened');
});

test('after a restart, the model recalls a fact stated before it (recall)', async ({ app }) => {
  await chatThenRestart(app);
  const { page } = app;
  await sendAndWait(page, 'What is my name?');
  await expect(messages(page, 'assistant').last().getByTestId('message-text')).toContainText('Alice');
});

test('the chat settings show how much of the chat is cached: nothing for an imported chat, all of it after a reply', async ({
  app,
}) => {
  const { page } = app;
  await importConversations(page, [{ title: 'Imported earlier', turns: [['Hello', 'Hi there']] }]);
  await page.getByRole('button', { name: 'Chat settings' }).click();
  const card = page.getByTestId('conversation-cache');
  await expect(card).toContainText('Nothing is cached yet');
  await page.keyboard.press('Escape');

  await setChatSettings(page, { temperature: 0, maxTokens: 8 });
  await sendAndWait(page, 'How are you?');
  await page.getByRole('button', { name: 'Chat settings' }).click();
  await expect(card).toContainText(/[1-9][\d,]* of [1-9][\d,]* tokens are cached/);
  await expect(card).toContainText('Uncompressed');
});
