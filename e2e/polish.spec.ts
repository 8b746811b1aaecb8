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

test('"Jump to latest" never covers the messages', async ({ app }) => {
  const { page } = app;
  const long = 'A long paragraph about the sea and the boats on it, written out to fill the page. '.repeat(6);
  await importConversations(page, [
    { title: 'Long chat', turns: Array.from({ length: 10 }, (_, i): [string, string] => [`Question ${i}`, long]) },
  ]);
  const log = page.getByRole('log', { name: 'Messages' });
  const scroller = log.locator('..');
  await expect(messages(page, 'assistant')).toHaveCount(10);
  await scroller.evaluate((el) => {
    el.scrollTop = el.scrollHeight - el.clientHeight - 300;
    el.dispatchEvent(new Event('scroll'));
  });
  const jump = page.getByRole('button', { name: '↓ Jump to latest' });
  await expect(jump).toBeVisible();
  const button = (await jump.boundingBox())!;
  const view = (await scroller.boundingBox())!;
  const overlaps = (a: typeof button, b: typeof button) =>
    a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  const clip = (a: typeof button, b: typeof button) => {
    const x = Math.max(a.x, b.x);
    const y = Math.max(a.y, b.y);
    return {
      x,
      y,
      width: Math.min(a.x + a.width, b.x + b.width) - x,
      height: Math.min(a.y + a.height, b.y + b.height) - y,
    };
  };
  for (const m of await page.getByTestId('message').all()) {
    const box = await m.boundingBox();
    if (!box || !overlaps(box, view)) continue; // scrolled out of sight
    const seen = clip(box, view); // the part of the message in the log's window
    expect(overlaps(button, seen), `the button covers “${(await m.innerText()).slice(0, 40)}…”`).toBe(false);
  }
  await jump.click();
  await expect(jump).toHaveCount(0);
  await expect
    .poll(() => scroller.evaluate((el) => Math.round(el.scrollHeight - el.scrollTop - el.clientHeight)))
    .toBeLessThan(2);
});
