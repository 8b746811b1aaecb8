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

/** Starts a fresh chat and waits until its composer is ready. */
export async function newChat(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'New chat' }).click();
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
