/** Search shows what it found where it is, says how many, and reads like the messages (issue #16). */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { importConversations, messages } from './ui.ts';

async function importFile(page: Page, name: string, file: unknown): Promise<void> {
  const choosing = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await (await choosing).setFiles({ name, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
  await expect(page.getByText(/Imported \d+ conversation/)).toBeVisible();
}

async function search(page: Page, q: string): Promise<void> {
  await page.keyboard.press('ControlOrMeta+k');
  await page.getByRole('searchbox', { name: 'Search conversations' }).fill(q);
}

test('a hit on another branch opens that branch, with the hit highlighted', async ({ app }) => {
  const { page } = app;
  const now = Date.now();
  await importFile(page, 'branches.json', {
    format: 'reprise',
    version: 1,
    exportedAt: now,
    conversations: [
      {
        id: 'branchy',
        title: 'Branchy',
        createdAt: now,
        updatedAt: now,
        activeLeafId: 'a0b',
        messages: [
          { id: 'u0', parentId: null, role: 'user', content: 'Name an animal', createdAt: now },
          { id: 'a0', parentId: 'u0', role: 'assistant', content: 'A striped okapi.', createdAt: now + 1 },
          { id: 'a0b', parentId: 'u0', role: 'assistant', content: 'A small cat.', createdAt: now + 2 },
        ],
      },
    ],
  });
  await expect(messages(page, 'assistant')).toHaveCount(1);
  await expect(messages(page, 'assistant')).toContainText('A small cat.');
  await search(page, 'okapi');
  await page.getByTestId('search-hit').click();
  const hit = messages(page, 'assistant').filter({ hasText: 'A striped okapi.' });
  await expect(hit).toBeVisible();
  await expect(hit).toHaveClass(/highlighted/);
  await expect(hit.getByTestId('branch-position')).toHaveText('1 / 2');
});

test('titles are searched, message hits come newest chat first, snippets read without Markdown', async ({ app }) => {
  const { page } = app;
  await importConversations(page, [
    { title: 'Newer chat', turns: [['Tell me about the zebra', 'The **zebra** is `striped`.']] },
    { title: 'Older chat', turns: [['zebra zebra zebra zebra', 'zebra zebra zebra zebra zebra']] },
    { title: 'Platypus notes', turns: [['Hello', 'Hi']] },
  ]);
  await search(page, 'platypus');
  await expect(page.getByTestId('title-hit')).toHaveText(/Platypus notes/);

  await search(page, 'zebra');
  const hits = page.getByTestId('search-hit');
  await expect(hits).toHaveCount(4);
  await expect(hits.first()).toContainText('Newer chat');
  await expect(hits.last()).toContainText('Older chat');
  await expect(page.getByTestId('search-count')).toHaveText('4 messages, newest chat first');
  const snippet = hits.filter({ hasText: 'striped' });
  await expect(snippet).toContainText('The zebra is striped.');
  await expect(snippet).not.toContainText('**');
});

test('a capped result list says it is capped', async ({ app }) => {
  const { page } = app;
  const turns = Array.from({ length: 30 }, (_, i): [string, string] => [`kiwi question ${i}`, `kiwi answer ${i}`]);
  await importConversations(page, [{ title: 'Many kiwis', turns }]);
  await search(page, 'kiwi');
  await expect(page.getByTestId('search-hit')).toHaveCount(50);
  await expect(page.getByTestId('search-count')).toContainText('The 50 best-matching messages (there may be more');
});
