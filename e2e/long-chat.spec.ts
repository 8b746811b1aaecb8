/**
 * A long conversation is sent to the page a page at a time (issue #17: 2,000 messages were 77k DOM nodes):
 * the DOM stays bounded, scrolling up loads earlier messages, and a search hit in an early message loads
 * the page holding it and highlights it; "Jump to latest" from there goes to the chat's end.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
const messages = (page: Page) => page.getByTestId('message');

const N = 2_000;

function longChat(): unknown {
  const now = Date.now();
  const msgs = Array.from({ length: N }, (_, i) => ({
    id: `m${i}`,
    parentId: i === 0 ? null : `m${i - 1}`,
    role: i % 2 === 0 ? 'user' : 'assistant',
    content:
      i === 5
        ? 'Message 5: the word quetzalcoatlus appears only here.'
        : `Message ${i}: some **Markdown** text, a [link](https://example.com) and a list:\n\n- one\n- two`,
    createdAt: now + i,
  }));
  return {
    format: 'reprise',
    version: 1,
    exportedAt: now,
    conversations: [
      { id: 'long', title: 'Long chat', createdAt: now, updatedAt: now, activeLeafId: `m${N - 1}`, messages: msgs },
    ],
  };
}

const logNodes = (page: Page) =>
  page.getByRole('log', { name: 'Messages' }).evaluate((el) => el.querySelectorAll('*').length);

test('a 2,000-message chat opens at its end with a bounded DOM, loads earlier pages, and finds message #5', async ({
  app,
}) => {
  const { page } = app;
  const choosing = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await (
    await choosing
  ).setFiles({ name: 'long.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(longChat())) });
  await expect(page.getByText('Imported 1 conversation')).toBeVisible();
  await expect(page.getByTestId('conversation-title')).toHaveText('Long chat');

  // the last page: the last message is there and in view, the DOM is a fraction of 2,000 messages'
  const last = messages(page).last();
  await expect(last).toContainText(`Message ${N - 1}:`);
  await expect(last).toBeInViewport();
  const shown = await messages(page).count();
  expect(shown).toBeLessThan(N);
  const nodes = await logNodes(page);
  console.log(`long chat: ${shown} messages loaded, ${nodes} DOM nodes in the log`);
  expect(nodes).toBeLessThan(10_000);
  const firstShown = Number((await messages(page).first().innerText()).match(/Message (\d+):/)?.[1]);
  expect(firstShown).toBe(N - shown);

  // scrolling up loads the page before, and what was read stays in view
  const anchor = messages(page).filter({ hasText: `Message ${firstShown}:` });
  await page.getByRole('log', { name: 'Messages' }).evaluate((el) => el.parentElement!.scrollTo({ top: 0 }));
  await expect(messages(page).filter({ hasText: `Message ${firstShown - 1}:` })).toHaveCount(1);
  await expect(anchor).toBeInViewport();
  expect(await logNodes(page)).toBeLessThan(10_000);

  // a search hit in message #5 loads the page holding it and highlights it
  await page.keyboard.press('ControlOrMeta+k');
  await page.getByRole('searchbox', { name: 'Search conversations' }).fill('quetzalcoatlus');
  await page.getByTestId('search-hit').click();
  const hit = messages(page).filter({ hasText: 'quetzalcoatlus' });
  await expect(hit).toBeInViewport();
  await expect(hit).toHaveClass(/highlighted/);
  expect(await logNodes(page)).toBeLessThan(10_000);
  await expect(page.getByTestId('load-later')).toBeVisible();
  await expect(page.getByTestId('load-earlier')).toHaveCount(0);

  // from there, "Jump to latest" goes to the chat's last message, not to the end of the page around the hit
  await page.getByRole('log', { name: 'Messages' }).evaluate((el) => el.parentElement!.scrollBy({ top: 200 }));
  await page.getByRole('button', { name: '↓ Jump to latest' }).click();
  await expect(messages(page).last()).toContainText(`Message ${N - 1}:`);
  await expect(messages(page).last()).toBeInViewport();
  await expect(page.getByTestId('load-later')).toHaveCount(0);
});
