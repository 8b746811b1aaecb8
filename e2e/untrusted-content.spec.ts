/**
 * Messages are untrusted: typed by the user, written by the model, or imported from a file. Whatever HTML or
 * script they carry must render inert: nothing executes, nothing is fetched from another host.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import {
  conversationButton,
  importConversations,
  messages,
  newChat,
  send,
  setChatSettings,
  waitForReply,
} from './ui.ts';

/** Set by a payload if it ever ran (this project's tsconfig has no DOM lib, hence the cast). */
const xssFlag = (): unknown => (globalThis as { __xss?: unknown }).__xss;

const PAYLOADS = [
  '<script>window.__xss = "script"; alert("xss-script")</script>',
  '<img src="https://evil.example/pixel.png" onerror="window.__xss = \'img\'; alert(\'xss-img\')">',
  '![tracker](https://evil.example/tracker.png)',
  '<iframe src="https://evil.example/frame"></iframe>',
  '<svg onload="window.__xss = \'svg\'"><circle r="10"/></svg>',
  "[click me](javascript:window.__xss='link')",
  '<a href="https://evil.example/" onmouseover="window.__xss = \'hover\'">a link</a>',
  '<div style="background:url(https://evil.example/bg.png)">styled</div>',
  '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/e.swf">',
  '<link rel="stylesheet" href="https://evil.example/x.css"><meta http-equiv="refresh" content="0;url=https://evil.example/">',
  '<video src="https://evil.example/v.mp4" autoplay></video><audio src="https://evil.example/a.mp3" autoplay></audio>',
  '<form action="https://evil.example/"><input name="q"><button>go</button></form>',
  '```html\n<script>window.__xss = "code"</script>\n```',
];

/** Watches for dialogs and for any request that leaves this machine. */
async function watch(page: Page): Promise<{ dialogs: string[]; external: string[] }> {
  const dialogs: string[] = [];
  const external: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    const local = ['127.0.0.1', 'localhost', '[::1]', ''].includes(url.hostname);
    if (/^(https?|wss?):$/.test(url.protocol) && !local) {
      external.push(url.href);
      return route.abort();
    }
    return route.continue();
  });
  return { dialogs, external };
}

async function expectInert(page: Page, seen: { dialogs: string[]; external: string[] }): Promise<void> {
  const log = page.getByRole('log', { name: 'Messages' });
  for (const tag of ['script', 'img', 'iframe', 'object', 'embed', 'video', 'audio', 'form', 'link', 'meta', 'style']) {
    await expect(log.locator(`[data-testid="message-text"] ${tag}`), `no <${tag}> in messages`).toHaveCount(0);
  }
  await expect(log.locator('[data-testid="message-text"] svg')).toHaveCount(0);
  for (const attr of ['onerror', 'onload', 'onclick', 'onmouseover', 'style', 'src', 'srcset']) {
    await expect(log.locator(`[data-testid="message-text"] [${attr}]`), `no ${attr} attribute`).toHaveCount(0);
  }
  await expect(log.locator('[data-testid="message-text"] a[href^="javascript:" i]')).toHaveCount(0);
  for (const a of await log.locator('[data-testid="message-text"] a[href]').all()) {
    await expect(a).toHaveAttribute('rel', /noopener/);
    await expect(a).toHaveAttribute('rel', /noreferrer/);
    await expect(a).toHaveAttribute('target', '_blank');
  }
  // Hovering and clicking around must not run anything either.
  for (const a of await log.locator('[data-testid="message-text"] a').all()) await a.hover();
  expect(await page.evaluate(xssFlag)).toBeUndefined();
  expect(seen.dialogs, 'no dialog opened').toEqual([]);
  expect(seen.external, 'nothing fetched from another host').toEqual([]);
}

test('HTML and script typed by the user render as inert text', async ({ app }) => {
  const { page } = app;
  const seen = await watch(page);
  await newChat(page);
  await setChatSettings(page, { maxTokens: 30 });
  await send(page, PAYLOADS.join('\n'));
  await waitForReply(page);
  // The user's text is shown exactly as typed.
  await expect(messages(page, 'user').first().getByTestId('message-text')).toContainText('<script>window.__xss');
  await expectInert(page, seen);
});

test('HTML and script in an imported conversation render inert', async ({ app }) => {
  const { page } = app;
  const seen = await watch(page);
  const title = 'Hostile <img src=x onerror=alert(1)>';
  await importConversations(page, [{ title, turns: PAYLOADS.map((p) => [p, `Echo:\n\n${p}`] as [string, string]) }]);
  await expect(conversationButton(page, title)).toBeVisible();
  await expect(page.getByTestId('conversation-title')).toHaveText(title);
  await expect(messages(page, 'assistant')).toHaveCount(PAYLOADS.length);
  // Rendered markdown does make links (the image payload becomes one): the link checks below have subjects.
  await expect(
    page.getByRole('log', { name: 'Messages' }).locator('[data-testid="message-text"] a[href]'),
  ).not.toHaveCount(0);
  await expectInert(page, seen);

  // Search snippets carry the same text: they are highlighted as text, never parsed.
  await page.keyboard.press('ControlOrMeta+k');
  await expect(page.getByRole('searchbox', { name: 'Search conversations' })).toBeFocused();
  await page.keyboard.type('onerror');
  await expect(page.getByTestId('search-hit').first()).toBeVisible();
  await expect(page.getByTestId('search-hit').locator('img, script, iframe, svg')).toHaveCount(0);
  await expect(page.getByTestId('search-hit').first().locator('mark').first()).toBeVisible();
  expect(await page.evaluate(xssFlag)).toBeUndefined();
  expect(seen.dialogs).toEqual([]);
  expect(seen.external).toEqual([]);
});
