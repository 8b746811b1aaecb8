/** axe-core over the main states of the UI, light and dark: any violation fails (issue #16). */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { importConversations, messages, newChat, sendAndWait, setChatSettings } from './ui.ts';

async function expectNoViolations(page: Page, state: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const summary = violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `  ${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n')}`,
  );
  expect(summary, `axe violations in ${state}`).toEqual([]);
}

const CODE_REPLY = [
  'Here is some code:',
  '',
  '```js',
  '// add two numbers; this comment must stay readable in both themes',
  'function add(a, b) { return a + b; } // ' + 'a very long line that scrolls sideways '.repeat(6),
  '```',
  '',
  '- [x] a done task',
  '- [ ] an open task',
].join('\n');

async function seed(page: Page): Promise<void> {
  await importConversations(page, [
    { title: 'Code and zebras', turns: [['Show me code about a zebra', CODE_REPLY]] },
    { title: 'Another zebra chat', turns: [['A zebra again', 'Zebras have stripes.']] },
  ]);
}

for (const scheme of ['light', 'dark'] as const) {
  test(`no axe violations: welcome, chat, search, export menu, settings, About (${scheme})`, async ({ app }) => {
    const { page } = app;
    await page.emulateMedia({ colorScheme: scheme });
    await expect(page.getByRole('region', { name: 'Welcome' })).toBeVisible();
    await expectNoViolations(page, `welcome (${scheme})`);

    await seed(page);
    await expect(messages(page, 'assistant').first().locator('pre')).toBeVisible();
    await expectNoViolations(page, `imported chat with code (${scheme})`);

    await setChatSettings(page, { temperature: 0, maxTokens: 8 });
    await sendAndWait(page, 'What is 2 plus 2?');
    await expectNoViolations(page, `chat with a finished turn (${scheme})`);

    await page.keyboard.press('ControlOrMeta+k');
    await page.keyboard.type('zebra');
    await expect(page.getByTestId('search-hit').first()).toBeVisible();
    await expectNoViolations(page, `search results (${scheme})`);
    await page.getByRole('searchbox', { name: 'Search conversations' }).fill('');

    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await expect(page.getByRole('menu')).toBeVisible();
    await expectNoViolations(page, `export menu (${scheme})`);
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'Chat settings' }).click();
    await expect(page.getByRole('complementary', { name: 'Conversation settings' })).toBeVisible();
    await expectNoViolations(page, `chat settings (${scheme})`);
    await page.getByRole('button', { name: 'Close settings' }).click();

    await page.getByRole('button', { name: 'About Reprise' }).click();
    await expect(page.getByRole('dialog')).toBeVisible();
    await expectNoViolations(page, `About (${scheme})`);
  });
}

test('no axe violations in a narrow window, with the sidebar closed and open', async ({ app }) => {
  const { page } = app;
  await page.setViewportSize({ width: 420, height: 800 });
  await expectNoViolations(page, 'narrow welcome');
  await newChat(page);
  await expectNoViolations(page, 'narrow chat');
  await page.getByRole('button', { name: 'Show sidebar' }).click();
  await expectNoViolations(page, 'narrow, sidebar open');
});

test('by keyboard: one tab stop per chat row, F2 renames, Delete deletes (with Undo), labels name the chat', async ({
  app,
}) => {
  const { page } = app;
  await importConversations(page, [
    { title: 'First chat', turns: [['a', 'b']] },
    { title: 'Second chat', turns: [['c', 'd']] },
  ]);
  const first = page.getByRole('button', { name: 'First chat', exact: true });
  const second = page.getByRole('button', { name: 'Second chat', exact: true });
  await first.focus();
  await page.keyboard.press('Tab');
  await expect(second, 'Tab goes to the next chat, not to its Rename and Delete buttons').toBeFocused();
  await expect(page.getByRole('button', { name: 'Delete conversation “Second chat”' })).toHaveCount(1);

  await page.keyboard.press('F2');
  const field = page.getByRole('textbox', { name: 'Conversation title' });
  await field.fill('Second, renamed');
  await field.press('Enter');
  const renamed = page.getByRole('button', { name: 'Second, renamed', exact: true });
  await renamed.focus();
  await page.keyboard.press('Delete');
  await expect(renamed).toHaveCount(0);
  await page.getByTestId('toasts').getByRole('button', { name: 'Undo' }).click();
  await expect(renamed).toBeVisible();
});

test('a dialog keeps Tab inside it, and a finished reply is announced', async ({ app }) => {
  const { page } = app;
  await page.getByRole('button', { name: 'About Reprise' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    expect(
      await dialog.evaluate((d) => d.contains(d.ownerDocument.activeElement)),
      `Tab ${i + 1} stays in the dialog`,
    ).toBe(true);
  }
  await page.keyboard.press('Shift+Tab');
  expect(await dialog.evaluate((d) => d.contains(d.ownerDocument.activeElement))).toBe(true);
  await page.keyboard.press('Escape');

  await newChat(page);
  await setChatSettings(page, { temperature: 0, maxTokens: 8 });
  await sendAndWait(page, 'Hello!');
  const live = page.getByTestId('reply-announcement');
  await expect(live).toHaveAttribute('aria-live', 'polite');
  await expect(live).toContainText('Reply finished:');
});
