/** The cache bar, the turn status and the chat's cache card say only what happened (issue #16). */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { lastTurnCache, newChat, send, sendAndWait, setChatSettings, waitForReply } from './ui.ts';

/** The few browser globals the page script below uses (this project's tsconfig has no DOM lib). */
interface PageGlobals {
  __statuses: string[];
  __statusObserver?: { disconnect(): void };
  document: { body: unknown; querySelector(selector: string): { textContent: string | null } | null };
  MutationObserver: new (callback: () => void) => {
    observe(target: unknown, options: object): void;
    disconnect(): void;
  };
}

/** Records every text the turn status shows while `run` goes on (a MutationObserver in the page). */
async function statusTexts(page: Page, run: () => Promise<void>): Promise<string[]> {
  await page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    g.__statuses = [];
    const observer = new g.MutationObserver(() => {
      const t = g.document.querySelector('[data-testid="turn-status"]')?.textContent?.trim();
      if (t && g.__statuses[g.__statuses.length - 1] !== t) g.__statuses.push(t);
    });
    observer.observe(g.document.body, { subtree: true, childList: true, characterData: true });
    g.__statusObserver = observer;
  });
  await run();
  return page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    g.__statusObserver?.disconnect();
    return g.__statuses;
  });
}

test('a first message is not called a resume, even when it reuses tokens another chat left in memory', async ({
  app,
}) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { temperature: 0, maxTokens: 8 });
  await sendAndWait(page, 'Hello there, how are you today?');

  await newChat(page);
  await setChatSettings(page, { temperature: 0, maxTokens: 8 });
  await sendAndWait(page, 'Hello again, what is two plus two?');
  const bar = lastTurnCache(page);
  await expect(bar).toContainText('Read');
  await expect(bar).not.toContainText('Resumed');
});

test('the status never shows the prompt length as cached tokens, and says it is writing, with the rate and time', async ({
  app,
}) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { temperature: 0, maxTokens: 400 });
  const texts = await statusTexts(page, async () => {
    // a reply long enough for a rate to be measured (about 70 greedy tokens from the built-in model)
    await send(page, 'Tell me a long story about a dragon.');
    await waitForReply(page);
  });
  // a brand-new chat has nothing cached: it may say it checks, or how many it restored, never the prompt length
  const restoring = texts.filter((t) => /Restor/.test(t));
  for (const t of restoring)
    expect(t, 'no claim of cached tokens in a new chat').not.toMatch(/Restoring [\d,]+ cached/);
  expect(
    texts.some((t) => /^Writing… [\d,]+ tokens?/.test(t)),
    texts.join(' | '),
  ).toBe(true);
  expect(
    texts.some((t) => /^Writing… [\d,]+ tokens, [\d.,]+ tok\/s, \d+ s$/.test(t)),
    `a live rate and elapsed time: ${texts.join(' | ')}`,
  ).toBe(true);
});

test('the cache card tells the truth after a system-prompt change and when nothing is cached', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { temperature: 0, maxTokens: 8 });
  await sendAndWait(page, 'My cat is called Miso.');
  await expect(lastTurnCache(page)).toBeVisible();

  await page.getByRole('button', { name: 'Chat settings' }).click();
  const card = page.getByTestId('conversation-cache');
  await expect(card).toContainText(/are cached: the next reply/);
  const panel = page.getByRole('complementary', { name: 'Conversation settings' });
  // another codec: the stored blocks no longer apply ("0 of N cached: resuming reads only what comes after" was false)
  await panel.getByLabel(/int8/).check();
  await panel.getByRole('button', { name: 'Save settings' }).click();
  await expect(card).toContainText(/None of this chat’s [\d,]+ tokens is cached/);
  await expect(card).not.toContainText('reads only');

  await panel.getByLabel('System prompt').fill('You are a pirate.');
  await panel.getByRole('button', { name: 'Save settings' }).click();
  await expect(card).toContainText('The system prompt changed since the last reply');
  await panel.getByRole('button', { name: 'Close settings' }).click();

  await sendAndWait(page, 'What is my cat called?');
  // the history was read again: the bar must not say "Resumed"
  await expect(lastTurnCache(page)).toContainText('Read');
  await expect(lastTurnCache(page)).not.toContainText('Resumed');
  await page.getByRole('button', { name: 'Chat settings' }).click();
  await expect(card).not.toContainText('The system prompt changed');
});

test('"Saved" says it is this turn\'s, and how it relates to the cache meter', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { temperature: 0, maxTokens: 8 });
  await sendAndWait(page, 'Hello!');
  await expect(lastTurnCache(page)).toContainText(/Saved [\d.,]+ [KMG]?B this turn/);
  await expect(lastTurnCache(page)).toContainText('The cache meter counts what is kept');
  await expect(page.getByTestId('cache-usage')).not.toContainText(/\b1 blocks\b/);
});
