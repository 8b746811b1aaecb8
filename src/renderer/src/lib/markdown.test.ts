// The Markdown bounds are pure string work (marked, no DOM): they run under Node's test runner.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MARKDOWN_MAX_CHARS, markdownHtml, markdownLimit } from './markdown.ts';

const count = (html: string, tag: string) => html.split(`<${tag}`).length - 1;

test('a 900-level nested list is shown as plain text, not as 900 nested lists', () => {
  const indented = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += `${' '.repeat(2 * i)}- item ${i}\n`;
    return s;
  };
  // 900 levels by indentation is 0.8 MB of text: over the size bound as well
  assert.match(markdownLimit(indented(900)) ?? '', /longer than/);
  for (const text of [
    indented(900),
    indented(300),
    `${'- '.repeat(900)}x\n`,
    `${'> '.repeat(900)}x\n`,
    `${'1. '.repeat(900)}x\n`,
  ]) {
    assert.match(markdownLimit(text) ?? '', text.length > MARKDOWN_MAX_CHARS ? /longer than/ : /nested more than/);
    const html = markdownHtml(text);
    assert.equal(count(html, 'ul') + count(html, 'ol') + count(html, 'blockquote'), 0);
    assert.equal(count(html, 'pre'), 1);
  }
});

test('ordinary Markdown, nested lists and deeply indented code included, still renders', () => {
  const nested = '- a\n  - b\n    - c\n      - d\n        - e\n';
  assert.equal(markdownLimit(nested), null);
  assert.equal(count(markdownHtml(nested), 'ul'), 5);
  const code = '```js\n' + `${' '.repeat(120)}deep();\n`.repeat(3) + '```\n';
  assert.equal(markdownLimit(code), null);
  assert.match(markdownHtml(code), /code-block/);
  assert.equal(markdownLimit('> quote\n> > reply\n\n**bold** and `code`'), null);
});

test('a message too long to render as Markdown is one preformatted element', () => {
  const text = '- x\n'.repeat(MARKDOWN_MAX_CHARS / 4 + 1);
  assert.match(markdownLimit(text) ?? '', /longer than/);
  const html = markdownHtml(text);
  assert.equal(count(html, 'li'), 0);
  assert.ok(html.startsWith('<pre class="md-plain">'));
});
