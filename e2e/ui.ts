/** Helpers for the UI specs: they find things by role, label and test id, and wait on state, never on time. */
import { expect, type Locator, type Page } from '@playwright/test';

export const composer = (page: Page): Locator => page.getByRole('textbox', { name: 'Message' });
export const sidebarList = (page: Page): Locator => page.getByRole('navigation', { name: 'Conversations' });
export const conversationButton = (page: Page, title: string): Locator =>
  sidebarList(page).getByRole('button', { name: title, exact: true });
export const conversationItem = (page: Page, title: string): Locator =>
  sidebarList(page)
    .getByTestId('conversation-item')
    .filter({ has: page.getByRole('button', { name: title, exact: true }) });
export const messages = (page: Page, role: 'user' | 'assistant'): Locator =>
  page.locator(`[data-testid="message"][data-role="${role}"]`);
export const streamingReply = (page: Page): Locator => page.getByTestId('streaming-reply');
export const lastTurnCache = (page: Page): Locator => messages(page, 'assistant').last().getByTestId('turn-cache');

/** The sidebar's (or, with the sidebar hidden, the floating) New chat button; not a chat titled "New chat". */
export const newChatButton = (page: Page): Locator =>
  page.getByRole('button', { name: 'New chat' }).and(page.locator('[aria-label="New chat"]'));

/** Starts a fresh chat and waits until its composer is ready. */
export async function newChat(page: Page): Promise<void> {
  await newChatButton(page).click();
  await expect(page.getByRole('region', { name: 'Chat' })).toBeVisible();
  await expect(composer(page)).toBeEditable();
}

export async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** Waits until no turn is running: the streamed draft is gone and Send is back. */
export async function waitForReply(page: Page): Promise<void> {
  await expect(streamingReply(page)).toHaveCount(0, { timeout: 90_000 });
  await expect(page.getByRole('button', { name: 'Send', exact: true })).toBeVisible();
}

export async function sendAndWait(page: Page, text: string): Promise<void> {
  await send(page, text);
  await waitForReply(page);
}

/** Restored / prefilled token counts of the newest turn, as the cache bar shows them. */
export async function lastTurnTokens(page: Page): Promise<{ restored: number; prefilled: number }> {
  const bar = lastTurnCache(page);
  await expect(bar).toBeVisible();
  return {
    restored: Number(await bar.getAttribute('data-restored')),
    prefilled: Number(await bar.getAttribute('data-prefilled')),
  };
}

export interface SamplingInput {
  temperature?: number;
  maxTokens?: number;
  seed?: number;
  systemPrompt?: string;
}

/** Sets the open conversation's settings through the settings panel. */
export async function setChatSettings(page: Page, s: SamplingInput): Promise<void> {
  await page.getByRole('button', { name: 'Chat settings' }).click();
  const panel = page.getByRole('complementary', { name: 'Conversation settings' });
  await expect(panel).toBeVisible();
  if (s.systemPrompt !== undefined) await panel.getByLabel('System prompt').fill(s.systemPrompt);
  if (s.temperature !== undefined) await panel.getByLabel('Temperature').fill(String(s.temperature));
  if (s.maxTokens !== undefined) await panel.getByLabel('Max tokens').fill(String(s.maxTokens));
  if (s.seed !== undefined) await panel.getByLabel('Seed').fill(String(s.seed));
  const save = panel.getByRole('button', { name: 'Save settings' });
  if (await save.isEnabled()) {
    await save.click();
    await expect(save).toBeDisabled();
  }
  await panel.getByRole('button', { name: 'Close settings' }).click();
  await expect(panel).toHaveCount(0);
}

/** A long opening message, so that a resumed turn has a history worth skipping. */
export const INTRO =
  'My name is Alice. I live in Lisbon, near the river, in a small yellow house with a blue door. ' +
  'I work as a marine biologist and I study octopuses in the Atlantic. I have a grey cat called Miso ' +
  'who sleeps on my keyboard, and on weekends I play the cello in a small orchestra. Please remember this.';

export interface SeedConversation {
  title: string;
  /** User / assistant pairs, in order. */
  turns: [user: string, assistant: string][];
}

/**
 * Imports conversations through the sidebar's Import button (a Reprise export file), without running the
 * model; waits until the import is done and the app has opened the first one.
 */
export async function importConversations(page: Page, convs: SeedConversation[]): Promise<void> {
  const now = Date.now();
  const file = {
    format: 'reprise',
    version: 1,
    exportedAt: now,
    conversations: convs.map((c, ci) => {
      const msgs = c.turns.flatMap(([u, a], i) => [
        {
          id: `c${ci}u${i}`,
          parentId: i === 0 ? null : `c${ci}a${i - 1}`,
          role: 'user',
          content: u,
          createdAt: now + 2 * i,
        },
        { id: `c${ci}a${i}`, parentId: `c${ci}u${i}`, role: 'assistant', content: a, createdAt: now + 2 * i + 1 },
      ]);
      return {
        id: `seed-${ci}-${now}`,
        title: c.title,
        createdAt: now - ci,
        updatedAt: now - ci,
        activeLeafId: msgs.at(-1)?.id ?? null,
        messages: msgs,
      };
    }),
  };
  const choosing = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await (
    await choosing
  ).setFiles({ name: 'seed.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
  await expect(page.getByText(`Imported ${convs.length} conversation`)).toBeVisible();
  if (convs[0]) await expect(page.getByTestId('conversation-title')).toHaveText(convs[0].title);
}
