/** Two tabs on the same data see each other's chats without a reload (app.events carries the changes). */
import { expect, test } from './fixtures.ts';
import { conversationButton, conversationItem, messages, newChat, sendAndWait, setChatSettings } from './ui.ts';

test('new chats, new messages, renames and deletes show in the other tab', async ({ app }) => {
  test.skip(app.kind !== 'browser', 'two tabs are a browser-mode thing');
  const a = app.page;
  const b = await a.context().newPage();
  await b.goto(app.server!.url);
  await expect(b.getByRole('region', { name: 'Welcome' })).toBeVisible();

  // a new chat and its first turn, written in A
  await newChat(a);
  await setChatSettings(a, { temperature: 0, maxTokens: 4 });
  await sendAndWait(a, 'Hello from tab A');
  await expect(conversationButton(b, 'Hello from tab A')).toBeVisible();
  await conversationButton(b, 'Hello from tab A').click();
  await expect(messages(b, 'user').getByTestId('message-text')).toHaveText(['Hello from tab A']);
  await expect(messages(b, 'assistant')).toHaveCount(1);

  // a new message in A shows in B's open chat
  await sendAndWait(a, 'A second message');
  await expect(messages(b, 'user').getByTestId('message-text')).toHaveText(['Hello from tab A', 'A second message']);
  await expect(messages(b, 'assistant')).toHaveCount(2);

  // a rename in B shows in A's sidebar and header
  const item = conversationItem(b, 'Hello from tab A');
  await item.hover();
  await item.getByRole('button', { name: /^Rename conversation/ }).click();
  const field = b.getByRole('textbox', { name: 'Conversation title' });
  await field.fill('Renamed in B');
  await field.press('Enter');
  await expect(conversationButton(a, 'Renamed in B')).toBeVisible();
  await expect(a.getByTestId('conversation-title')).toHaveText('Renamed in B');

  // a delete in A (once its Undo window has passed) takes it away in B, open chat included
  const row = conversationItem(a, 'Renamed in B');
  await row.hover();
  await row.getByRole('button', { name: /^Delete conversation/ }).click();
  await expect(conversationButton(b, 'Renamed in B')).toHaveCount(0, { timeout: 20_000 });
  await expect(b.getByRole('region', { name: 'Chat' })).toHaveCount(0);
  await expect(b.getByText('This chat was deleted in another window.')).toBeVisible();
  await b.close();
});
