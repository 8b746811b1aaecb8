/** What is drawn where: long titles, notices over controls, and labels on code blocks. */
import type { Locator } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { composer, importConversations, messages } from './ui.ts';

async function box(l: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  const b = await l.boundingBox();
  expect(b, 'has a box').not.toBeNull();
  return b!;
}

function overlaps(a: { x: number; y: number; width: number; height: number }, b: typeof a): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

test('the welcome screen cuts a long "Or continue" title with an ellipsis', async ({ app }) => {
  const { page } = app;
  const long = 'A very long conversation title '.repeat(6).trim();
  await importConversations(page, [{ title: long, turns: [['Hi', 'Hello']] }]);
  await page.reload();
  for (const width of [1280, 700]) {
    await page.setViewportSize({ width, height: 800 });
    const link = page.getByTestId('continue-recent');
    await expect(link).toHaveAttribute('title', long);
    // The sidebar folds by a resize handler (App.svelte), a frame after the viewport changes.
    await expect
      .poll(
        async () => {
          const r = await box(link);
          return r.x + r.width;
        },
        { message: `fits at ${width} px` },
      )
      .toBeLessThanOrEqual(width);
    const b = await box(link);
    const hero = await box(page.getByRole('region', { name: 'Welcome' }).locator('.hero'));
    expect(b.x + b.width).toBeLessThanOrEqual(hero.x + hero.width);
    expect(b.height, 'one line').toBeLessThan(40);
    expect(await link.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
  }
});

test('notices do not cover the composer or the chat header at 1280×800', async ({ app }) => {
  const { page } = app;
  await page.setViewportSize({ width: 1280, height: 800 });
  await importConversations(page, [
    { title: 'One', turns: [['a', 'b']] },
    { title: 'Two', turns: [['c', 'd']] },
  ]);
  const toast = page.getByTestId('toasts').getByRole('status').filter({ hasText: 'Imported 2 conversations' });
  await expect(toast).toBeVisible();
  await expect(composer(page)).toBeVisible();
  const t = await box(toast);
  for (const control of [
    page.getByRole('button', { name: 'Send', exact: true }),
    composer(page),
    page.getByRole('button', { name: 'Chat settings' }),
    page.getByRole('button', { name: 'Export', exact: true }),
  ]) {
    expect(overlaps(t, await box(control)), `toast clear of ${control}`).toBe(false);
  }
});

test('a code block without a language is plain text unless it clearly is code', async ({ app }) => {
  const { page } = app;
  const prose =
    'Public transport (buses and trams) is a great option if you want to save money.\nThe default case is to return home; try it.';
  const code = '#include <stdio.h>\nint main(void) {\n  printf("hi\\n");\n  return 0;\n}';
  const reply = ['```', prose, '```', '', '```', code, '```', '', '```python', 'x = 1', '```'].join('\n');
  await importConversations(page, [{ title: 'Code', turns: [['Show me', reply]] }]);
  const blocks = messages(page, 'assistant').first().locator('.code-block');
  await expect(blocks).toHaveCount(3);
  await expect(blocks.nth(0).locator('.code-lang')).toHaveText('text');
  await expect(blocks.nth(0).locator('code [class^="hljs-"]')).toHaveCount(0);
  await expect(blocks.nth(0).locator('code')).toHaveText(prose);
  await expect(blocks.nth(1).locator('.code-lang')).toHaveText(/^(c|cpp)$/);
  await expect(blocks.nth(1).locator('code [class^="hljs-"]')).not.toHaveCount(0);
  await expect(blocks.nth(2).locator('.code-lang')).toHaveText('python');
});
