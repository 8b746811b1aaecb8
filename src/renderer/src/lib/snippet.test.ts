import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plainMarkdown, snippetParts } from './snippet.ts';

test('search snippets drop Markdown markers but keep the words and the match', () => {
  assert.equal(
    plainMarkdown('## The **quick** `zebra` [crossed](http://x.y) the _savanna_'),
    'The quick zebra crossed the savanna',
  );
  assert.equal(plainMarkdown('- one\n- two\n> quoted'), 'one two quoted');
  assert.equal(plainMarkdown('snake_case_name stays'), 'snake_case_name stays');
  assert.equal(plainMarkdown('2 * 3 = 6'), '2 * 3 = 6');
  assert.deepEqual(snippetParts('a **«zebra»** here'), [
    { text: 'a ', match: false },
    { text: 'zebra', match: true },
    { text: ' here', match: false },
  ]);
});
