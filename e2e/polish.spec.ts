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
  // One layout, read in one pass in the page: boxes read one by one could straddle a relayout (the button's
  // row shrinks the log; a scroll event after it can move the messages between two reads).
  const covered = await page.evaluate(() => {
    const button = Array.from(document.querySelectorAll('button')).find((b) =>
      b.textContent?.includes('Jump to latest'),
    );
    const log = document.querySelector('[role="log"][aria-label="Messages"]');
    if (!button || !log?.parentElement) return ['(no button or log)'];
    const r = button.getBoundingClientRect();
    const v = log.parentElement.getBoundingClientRect();
    const out: string[] = [];
    for (const m of Array.from(document.querySelectorAll('[data-testid="message"]'))) {
      const b = m.getBoundingClientRect();
      // the part of the message inside the log's window
      const top = Math.max(b.top, v.top);
      const bottom = Math.min(b.bottom, v.bottom);
      const left = Math.max(b.left, v.left);
      const right = Math.min(b.right, v.right);
      if (bottom <= top || right <= left) continue; // scrolled out of sight
      if (r.left < right && left < r.right && r.top < bottom && top < r.bottom)
        out.push((m as HTMLElement).innerText.slice(0, 40));
    }
    return out;
  });
  expect(covered, 'messages the button covers').toEqual([]);
  await jump.click();
  await expect(jump).toHaveCount(0);
  await expect
    .poll(() => scroller.evaluate((el) => Math.round(el.scrollHeight - el.scrollTop - el.clientHeight)))
    .toBeLessThan(2);
});
