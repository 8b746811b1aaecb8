import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from './fixtures.ts';
import {
  composer,
  conversationButton,
  conversationItem,
  importConversations,
  messages,
  newChat,
  sendAndWait,
  setChatSettings,
  sidebarList,
} from './ui.ts';

test('the welcome screen says what Reprise is, and the first message starts a chat', async ({ app }) => {
  const { page } = app;
  await expect(page.getByRole('region', { name: 'Welcome' })).toContainText('reads each conversation once');
  await expect(sidebarList(page)).toHaveCount(0);
  await sendAndWait(page, 'Hello from the welcome screen');
  await expect(page.getByRole('region', { name: 'Chat' })).toBeVisible();
  await expect(sidebarList(page).getByRole('listitem')).toHaveCount(1);
  await expect(sidebarList(page).getByRole('heading', { name: 'Today' })).toBeVisible();
});

test('rename and delete (with undo) from the sidebar', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { maxTokens: 20 });
  await sendAndWait(page, 'Something to keep.');
  const title = await page.getByTestId('conversation-title').innerText();

  const item = conversationItem(page, title);
  await item.hover();
  await item.getByRole('button', { name: 'Rename conversation' }).click();
  const field = page.getByRole('textbox', { name: 'Conversation title' });
  await field.fill('Renamed chat');
  await field.press('Enter');
  await expect(conversationButton(page, 'Renamed chat')).toBeVisible();
  await expect(page.getByTestId('conversation-title')).toHaveText('Renamed chat');
  await page.reload();
  await expect(conversationButton(page, 'Renamed chat')).toBeVisible();

  // Delete leaves the list at once, and Undo brings the chat back, messages and all
  const renamed = conversationItem(page, 'Renamed chat');
  await renamed.hover();
  await renamed.getByRole('button', { name: 'Delete conversation' }).click();
  await expect(conversationButton(page, 'Renamed chat')).toHaveCount(0);
  await page.getByTestId('toasts').getByRole('button', { name: 'Undo' }).click();
  await expect(conversationButton(page, 'Renamed chat')).toBeVisible();
  await page.reload();
  await conversationButton(page, 'Renamed chat').click();
  await expect(page.getByTestId('message').first()).toContainText('Something to keep.');

  // without Undo the delete is committed (here: when the page goes away, before the Undo window ends)
  await renamed.hover();
  await renamed.getByRole('button', { name: 'Delete conversation' }).click();
  await expect(conversationButton(page, 'Renamed chat')).toHaveCount(0);
  await page.reload();
  await expect(conversationButton(page, 'Renamed chat')).toHaveCount(0);
});

test('Ctrl/Cmd+K searches message text and shows highlighted snippets', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { maxTokens: 20 });
  await sendAndWait(page, 'The quick zebra crossed the savanna.');
  await newChat(page);
  await sendAndWait(page, 'Nothing to see here.');

  await page.keyboard.press('ControlOrMeta+k');
  const search = page.getByRole('searchbox', { name: 'Search conversations' });
  await expect(search).toBeFocused();
  await page.keyboard.type('zebra');
  const hit = page.getByTestId('search-hit');
  await expect(hit).toHaveCount(1);
  await expect(hit.locator('mark')).toHaveText(/zebra/i);
  await hit.click();
  await expect(messages(page, 'user').first()).toContainText('quick zebra');

  await search.press('Escape');
  await expect(search).toHaveValue('');
  await expect(sidebarList(page).getByRole('listitem')).toHaveCount(2);
});

test('Ctrl/Cmd+N starts a new chat and focuses the message box', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { maxTokens: 20 });
  await sendAndWait(page, 'First chat.');
  await page.keyboard.press('ControlOrMeta+n');
  await expect(messages(page, 'user')).toHaveCount(0);
  await expect(composer(page)).toBeFocused();
  await expect(sidebarList(page).getByRole('listitem')).toHaveCount(2);
});

test('the model, its provider and the cache budget are shown', async ({ app }) => {
  const { page } = app;
  await expect(page.getByTestId('model-name')).not.toBeEmpty();
  await expect(page.getByTestId('model-provider')).toHaveText(/^(CPU|CUDA)$/);
  await expect(page.getByTestId('model-provider')).toHaveAttribute('title', /\S/);
  await expect(page.getByTestId('cache-usage')).toContainText('/');
});

test('a folder that is not a model gives an error with cause and suggestion', async ({ app }) => {
  const { page } = app;
  await page.getByRole('button', { name: 'Open model folder…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Open model folder' });
  await dialog.getByRole('textbox', { name: 'Model folder' }).fill(app.dataDir);
  await dialog.getByRole('button', { name: 'Open', exact: true }).click();
  const error = dialog.getByTestId('error');
  await expect(error.getByTestId('error-title')).not.toBeEmpty();
  await expect(error.getByTestId('error-cause')).not.toBeEmpty();
  await expect(error.getByTestId('error-suggestion')).not.toBeEmpty();
  await dialog.getByRole('button', { name: 'Close' }).click();
  // The previous model is still in use.
  await expect(page.getByTestId('model-name')).not.toBeEmpty();
});

test('usable at 800 px wide: the sidebar collapses and comes back', async ({ app }) => {
  const { page } = app;
  await page.setViewportSize({ width: 800, height: 700 });
  await newChat(page);
  await expect(composer(page)).toBeVisible();
  await page.getByRole('button', { name: 'Show sidebar' }).click();
  await expect(page.getByRole('searchbox', { name: 'Search conversations' })).toBeVisible();
  await page.getByRole('complementary', { name: 'Sidebar' }).getByRole('button', { name: 'Hide sidebar' }).click();
  await expect(page.getByRole('searchbox', { name: 'Search conversations' })).toHaveCount(0);
});

test('renaming a chat or saving its settings keeps its place in the list; a new message moves it up', async ({
  app,
}) => {
  const { page } = app;
  await importConversations(page, [
    { title: 'Newer chat', turns: [['hi', 'hello']] },
    { title: 'Older chat', turns: [['hey', 'hello']] },
  ]);
  const order = () => sidebarList(page).locator('[data-testid="conversation-item"] .title');
  await expect(order()).toHaveText(['Newer chat', 'Older chat']);
  const older = conversationItem(page, 'Older chat');
  await older.hover();
  await older.getByRole('button', { name: /^Rename conversation/ }).click();
  await page.getByRole('textbox', { name: 'Conversation title' }).fill('Older chat, renamed');
  await page.getByRole('textbox', { name: 'Conversation title' }).press('Enter');
  await expect(order()).toHaveText(['Newer chat', 'Older chat, renamed']);
  await conversationButton(page, 'Older chat, renamed').click();
  await setChatSettings(page, { temperature: 0, maxTokens: 4, systemPrompt: 'Be brief.' });
  await expect(order()).toHaveText(['Newer chat', 'Older chat, renamed']);
  await sendAndWait(page, 'And now a message');
  await expect(order()).toHaveText(['Older chat, renamed', 'Newer chat']);
});

test('two long titles that start alike can be told apart in the list at the default width', async ({ app }) => {
  const { page } = app;
  const stem = 'Notes from the quarterly planning meeting with the design and research teams';
  const titles = [`${stem}, morning session`, `${stem}, afternoon wrap-up`];
  await importConversations(
    page,
    titles.map((title) => ({ title, turns: [['hi', 'hello']] })),
  );
  await newChat(page); // neither row is the open one: both show their time too
  const shown: string[] = [];
  for (const title of titles) {
    const button = conversationButton(page, title);
    await expect(button).toHaveAttribute('title', new RegExp(`^${title}\n`));
    // the characters a person can see: laid out inside every box that clips them
    shown.push(
      await button.evaluate((el) => {
        let out = '';
        const walker = document.createTreeWalker(el.querySelector('.title')!, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode() as Text | null; n; n = walker.nextNode() as Text | null) {
          const clips: DOMRect[] = [];
          for (let p = n.parentElement; p && p !== el.parentElement; p = p.parentElement)
            if (getComputedStyle(p).overflow !== 'visible') clips.push(p.getBoundingClientRect());
          for (let i = 0; i < n.length; i++) {
            const r = document.createRange();
            r.setStart(n, i);
            r.setEnd(n, i + 1);
            const c = r.getBoundingClientRect();
            if (clips.every((b) => c.left >= b.left - 0.5 && c.right <= b.right + 0.5)) out += n.data[i];
          }
        }
        return out;
      }),
    );
  }
  expect(shown[0]!.length, 'the titles are cut at this width').toBeLessThan(titles[0]!.length);
  expect(shown[0], 'what shows of the two titles differs').not.toBe(shown[1]);
  expect(shown[0], 'the end of each title shows').toMatch(/ session$/);
  expect(shown[1]).toMatch(/ wrap-up$/);
});

test.describe('a typed model folder', () => {
  // the server's home folder, with the built-in model linked in it
  const home = mkdtempSync(join(tmpdir(), 'reprise-home-'));
  mkdirSync(join(home, 'my-models'));
  symlinkSync(resolve('resources/models/reprise-tiny'), join(home, 'my-models', 'tiny'));
  test.use({ serverEnv: { HOME: home } });

  test('~ is the home folder, and a relative path is refused with a message', async ({ app }) => {
    const { page } = app;
    await page.getByRole('button', { name: 'Open model folder…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Open model folder' });
    await expect(dialog).toContainText('~ is your home folder');
    const field = dialog.getByRole('textbox', { name: 'Model folder' });
    await field.fill('my-models/tiny');
    await dialog.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(dialog.getByTestId('error-title')).toHaveText('Type the folder’s full path');
    await expect(dialog.getByTestId('error-suggestion')).toContainText(home);
    await field.fill('~/my-models/tiny');
    await dialog.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await page.getByRole('button', { name: 'Open model folder…' }).click();
    await expect(page.getByRole('dialog', { name: 'Open model folder' }).getByLabel('Current model')).toContainText(
      join(home, 'my-models', 'tiny'),
    );
  });
});
