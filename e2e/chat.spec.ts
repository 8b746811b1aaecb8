import { expect, test } from './fixtures.ts';
import { composer, messages, newChat, send, sendAndWait, setChatSettings, streamingReply, waitForReply } from './ui.ts';

/** The few browser globals the page scripts below use (this project's tsconfig has no DOM lib). */
interface PageGlobals {
  __streamTexts?: string[];
  document: { body: unknown; querySelector(selector: string): { textContent: string | null } | null };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void };
}

test('a reply streams in token by token and is kept', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { temperature: 1, maxTokens: 200 });
  // Record every distinct text the in-flight reply shows while it streams.
  await page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    const seen: string[] = [];
    g.__streamTexts = seen;
    new g.MutationObserver(() => {
      const el = g.document.querySelector('[data-testid="streaming-reply"] [data-testid="message-text"]');
      const t = el?.textContent ?? '';
      if (t && seen[seen.length - 1] !== t) seen.push(t);
    }).observe(g.document.body, { subtree: true, childList: true, characterData: true });
  });
  await send(page, 'Tell me a long story about a cat and a boat.');
  await expect(messages(page, 'user').last()).toContainText('Tell me a long story about a cat and a boat.');
  await waitForReply(page);

  const seen = await page.evaluate(() => (globalThis as unknown as PageGlobals).__streamTexts ?? []);
  expect(seen.length, 'the reply was shown in several steps while it streamed').toBeGreaterThan(1);
  const final = messages(page, 'assistant').last();
  await expect(final.getByTestId('message-text')).not.toBeEmpty();
  await expect(final.getByTestId('turn-cache')).toBeVisible();
  await expect(composer(page)).toHaveValue('');
});

test('Enter sends, Shift+Enter adds a new line', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await composer(page).fill('first line');
  await composer(page).press('Shift+Enter');
  await composer(page).pressSequentially('second line');
  await expect(composer(page)).toHaveValue('first line\nsecond line');
  await composer(page).press('Enter');
  await expect(messages(page, 'user').last().getByTestId('message-text')).toHaveText('first line\nsecond line');
  await waitForReply(page);
});

test('Esc and the Stop button stop a reply mid-way', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  // A very high temperature makes the end-of-text token rare, so the reply runs for seconds (at 1.3 the
  // built-in model's replies were 30-60 tokens, a quarter of a second: a race with the Stop click).
  await setChatSettings(page, { temperature: 4, maxTokens: 4000, seed: 8 });

  await send(page, 'Write a very long story, with many chapters, about the sea.');
  await expect(streamingReply(page).getByTestId('message-text')).not.toBeEmpty();
  await page.keyboard.press('Escape');
  await waitForReply(page);
  await expect(messages(page, 'assistant').last().getByTestId('stop-reason')).toHaveText('Stopped');

  await send(page, 'Continue the story, chapter two, very long.');
  await expect(streamingReply(page).getByTestId('message-text')).not.toBeEmpty();
  await page.getByRole('button', { name: 'Stop' }).click();
  await waitForReply(page);
  await expect(messages(page, 'assistant').last().getByTestId('stop-reason')).toHaveText('Stopped');
  await expect(messages(page, 'assistant')).toHaveCount(2);
});

test('Esc while a long message is still being read gives it back to the composer (nothing was stored)', async ({
  app,
}) => {
  const { page } = app;
  await newChat(page);
  // ~3,500 characters (the draft): prefilling them takes many chunks, and Esc lands before the
  // reply starts, so the user message is never stored
  const draft = Array.from({ length: 70 }, (_, i) => `Line ${i}: the quick brown fox jumps over the dog.`).join('\n');
  await composer(page).fill(draft);
  await composer(page).press('Enter');
  await page.keyboard.press('Escape');
  await waitForReply(page);
  await expect(composer(page)).toHaveValue(draft);
  await expect(messages(page, 'user')).toHaveCount(0);
  await expect(messages(page, 'assistant')).toHaveCount(0);
});

test('regenerate makes a second version of the last reply, and both stay reachable', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { temperature: 1, maxTokens: 60 });
  await sendAndWait(page, 'Say something.');
  await expect(messages(page, 'assistant')).toHaveCount(1);

  const last = messages(page, 'assistant').last();
  await last.getByRole('button', { name: 'Regenerate' }).click();
  await waitForReply(page);
  await expect(messages(page, 'assistant')).toHaveCount(1);
  await expect(last.getByRole('group', { name: 'Branch 2 of 2' })).toBeVisible();

  await last.getByRole('button', { name: 'Previous branch' }).click();
  await expect(last.getByRole('group', { name: 'Branch 1 of 2' })).toBeVisible();
  await expect(last.getByRole('button', { name: 'Previous branch' })).toBeDisabled();
  await last.getByRole('button', { name: 'Next branch' }).click();
  await expect(last.getByRole('group', { name: 'Branch 2 of 2' })).toBeVisible();
});

test('editing a message starts a branch; switching branches shows each version', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { temperature: 0, maxTokens: 40 });
  await sendAndWait(page, 'My favourite colour is blue.');
  await sendAndWait(page, 'And my favourite fruit is a pear.');
  await expect(messages(page, 'user')).toHaveCount(2);

  const first = messages(page, 'user').first();
  await first.getByRole('button', { name: 'Edit message' }).click();
  await page.getByRole('textbox', { name: 'Edited message' }).fill('My favourite colour is green.');
  await page.getByRole('button', { name: 'Send edit' }).click();
  await waitForReply(page);

  // The edit replaced the rest of the path: one user message, now on branch 2 of 2.
  await expect(messages(page, 'user')).toHaveCount(1);
  await expect(first.getByTestId('message-text')).toHaveText('My favourite colour is green.');
  await expect(first.getByRole('group', { name: 'Branch 2 of 2' })).toBeVisible();

  await first.getByRole('button', { name: 'Previous branch' }).click();
  await expect(first.getByTestId('message-text')).toHaveText('My favourite colour is blue.');
  await expect(first.getByRole('group', { name: 'Branch 1 of 2' })).toBeVisible();
  await expect(messages(page, 'user')).toHaveCount(2);
  await expect(messages(page, 'user').last().getByTestId('message-text')).toHaveText(
    'And my favourite fruit is a pear.',
  );

  // The chosen branch is what the conversation shows after a reload.
  await first.getByRole('button', { name: 'Next branch' }).click();
  await expect(first.getByTestId('message-text')).toHaveText('My favourite colour is green.');
  const title = await page.getByTestId('conversation-title').innerText();
  await page.reload();
  await page
    .getByRole('navigation', { name: 'Conversations' })
    .getByRole('button', { name: title, exact: true })
    .click();
  await expect(messages(page, 'user').first().getByTestId('message-text')).toHaveText('My favourite colour is green.');
});
