/** Small things that were wrong (issue #16, Polish). */
import { expect, test } from './fixtures.ts';
import { composer, importConversations, messages, newChat, sendAndWait, setChatSettings } from './ui.ts';

test('the export menu fits a 400 px window', async ({ app }) => {
  const { page } = app;
  await importConversations(page, [{ title: 'Narrow', turns: [['a', 'b']] }]);
  await page.setViewportSize({ width: 400, height: 800 });
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const box = (await page.getByRole('menu').boundingBox())!;
  expect(box.x, 'not past the left edge').toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, 'not past the right edge').toBeLessThanOrEqual(400);
});

test('the composer shrinks back after a long message is sent', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { temperature: 0, maxTokens: 4 });
  const box = composer(page);
  const empty = (await box.boundingBox())!.height;
  await box.fill(Array.from({ length: 12 }, (_, i) => `line ${i}`).join('\n'));
  await box.dispatchEvent('input');
  expect((await box.boundingBox())!.height).toBeGreaterThan(empty * 2);
  await box.press('Enter');
  await expect(messages(page, 'assistant')).toHaveCount(1, { timeout: 90_000 });
  await expect.poll(async () => (await box.boundingBox())!.height).toBeLessThanOrEqual(empty + 1);
});

test('a sidebar closed in a narrow window comes back when the window is widened', async ({ app }) => {
  const { page } = app;
  await page.setViewportSize({ width: 700, height: 800 });
  await expect(page.getByRole('button', { name: 'Show sidebar' })).toBeVisible();
  await page.setViewportSize({ width: 1280, height: 800 });
  await expect(page.getByRole('complementary', { name: 'Sidebar' })).toBeVisible();
});

test('messages say when they were written, on hover', async ({ app }) => {
  const { page } = app;
  await newChat(page);
  await setChatSettings(page, { temperature: 0, maxTokens: 4 });
  await sendAndWait(page, 'Hello!');
  const time = messages(page, 'user').first().locator('time');
  await expect(time).toHaveAttribute('datetime', /^\d{4}-\d\d-\d\dT/);
  await expect(time).toHaveAttribute('title', /\d/);
});
