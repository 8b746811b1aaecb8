/** Every dead end has a way out: a message without a reply, an older reply, a crash mid-reply (issue #16). */
import { expect, test } from './fixtures.ts';
import {
  conversationButton,
  importConversations,
  messages,
  newChat,
  send,
  sendAndWait,
  setChatSettings,
  streamingReply,
  waitForReply,
} from './ui.ts';

test('the welcome screen says what the built-in model can and cannot do', async ({ app }) => {
  const { page } = app;
  const note = page.getByTestId('builtin-model-note');
  await expect(note).toContainText('14M-parameter demo');
  await expect(note).toContainText('knows nothing about the world');
});

test('a message left without a reply (imported that way) gets "Generate reply", which answers it without a copy', async ({
  app,
}) => {
  const { page } = app;
  const now = Date.now();
  const file = {
    format: 'reprise',
    version: 1,
    exportedAt: now,
    conversations: [
      {
        id: 'unanswered',
        title: 'Unanswered',
        createdAt: now,
        updatedAt: now,
        activeLeafId: 'u1',
        messages: [
          { id: 'u0', parentId: null, role: 'user', content: 'Hello', createdAt: now },
          { id: 'a0', parentId: 'u0', role: 'assistant', content: 'Hi there', createdAt: now + 1 },
          { id: 'u1', parentId: 'a0', role: 'user', content: 'How are you?', createdAt: now + 2 },
        ],
      },
    ],
  };
  const choosing = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await (
    await choosing
  ).setFiles({ name: 'unanswered.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
  await expect(page.getByTestId('conversation-title')).toHaveText('Unanswered');
  await setChatSettings(page, { temperature: 0, maxTokens: 8 });

  await page.getByRole('button', { name: 'Generate reply' }).click();
  await waitForReply(page);
  await expect(messages(page, 'assistant')).toHaveCount(2);
  await expect(messages(page, 'user')).toHaveCount(2);
  await expect(messages(page, 'user').last().getByTestId('branch-position')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Generate reply' })).toHaveCount(0);
});

test('any reply can be regenerated, not only the last, as a new branch', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { temperature: 1, maxTokens: 8, seed: 3 });
  await sendAndWait(page, 'Hello!');
  await sendAndWait(page, 'What is 12 plus 30?');
  await expect(messages(page, 'assistant')).toHaveCount(2);

  const first = messages(page, 'assistant').first();
  await first.hover();
  await first.getByRole('button', { name: 'Regenerate' }).click();
  await waitForReply(page);
  // the new branch holds the new first reply, and the later turn stays on the old branch
  await expect(messages(page, 'assistant')).toHaveCount(1);
  await expect(messages(page, 'assistant').first().getByTestId('branch-position')).toHaveText('2 / 2');
});

test('after the service crashes mid-reply, the chat stops waiting; after a restart the message can be answered', async ({
  app,
}) => {
  let { page } = app;
  await newChat(page);
  await setChatSettings(page, { temperature: 4, maxTokens: 4000, seed: 8 });
  await send(page, 'Write a very long story, with many chapters, about the sea.');
  await expect(streamingReply(page).getByTestId('message-text')).not.toBeEmpty();
  const title = await page.getByTestId('conversation-title').innerText();

  await app.server!.crash();
  // no "Reading 22 / 22 tokens" forever with a greyed Stop: the turn ends, the banner says why
  await expect(page.getByTestId('disconnected')).toBeVisible();
  await expect(streamingReply(page)).toHaveCount(0);
  await expect(page.getByTestId('turn-status')).toHaveCount(0);

  await app.restart();
  page = app.page;
  await conversationButton(page, title).click();
  await expect(messages(page, 'user')).toHaveCount(1);
  await setChatSettings(page, { maxTokens: 8 });
  await page.getByRole('button', { name: 'Generate reply' }).click();
  await waitForReply(page);
  await expect(messages(page, 'assistant')).toHaveCount(1);
  await expect(messages(page, 'user')).toHaveCount(1);
});

test('a reply cut at the token limit can be continued: the model goes on after its last word, no new message', async ({
  app,
}) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { temperature: 0, maxTokens: 6 });
  await sendAndWait(page, 'Tell me about your day.');
  const reply = messages(page, 'assistant').last();
  await expect(reply.getByTestId('stop-reason')).toHaveText('Stopped at the token limit');
  const before = (await reply.getByTestId('message-text').innerText()).trim();

  await reply.getByRole('button', { name: 'Continue' }).click();
  await waitForReply(page);
  const after = (await messages(page, 'assistant').last().getByTestId('message-text').innerText()).trim();
  expect(after.startsWith(before), `"${after}" goes on from "${before}"`).toBe(true);
  expect(after.length).toBeGreaterThan(before.length);
  await expect(messages(page, 'user')).toHaveCount(1);
  await expect(messages(page, 'assistant')).toHaveCount(1);
  await expect(messages(page, 'assistant').last().getByTestId('branch-position')).toHaveText('2 / 2');
});

test('leaving a chat while its reply streams and coming back shows your message once', async ({ app }) => {
  const { page } = app;
  await importConversations(page, [{ title: 'Elsewhere', turns: [['Hi', 'Hello']] }]);
  await newChat(page);
  await setChatSettings(page, { temperature: 4, maxTokens: 4000, seed: 8 });
  await send(page, 'Write a very long story, with many chapters, about the sea.');
  await expect(streamingReply(page).getByTestId('message-text')).not.toBeEmpty();
  const title = await page.getByTestId('conversation-title').innerText();

  await conversationButton(page, 'Elsewhere').click();
  await expect(page.getByTestId('conversation-title')).toHaveText('Elsewhere');
  await conversationButton(page, title).click();
  // the stored message (it has an id) is back while the reply still streams: at that moment, one bubble
  await expect(page.locator('[data-testid="message"][data-role="user"][data-message-id]')).toHaveCount(1);
  const now = await page.evaluate(() => {
    const d = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document;
    return {
      streaming: d.querySelectorAll('[data-testid="streaming-reply"]').length,
      user: d.querySelectorAll('[data-testid="message"][data-role="user"]').length,
    };
  });
  expect(now.streaming, 'still streaming (the story is long)').toBe(1);
  expect(now.user, 'your message shows once').toBe(1);
  await waitForReply(page);
  await expect(messages(page, 'user')).toHaveCount(1);
});
