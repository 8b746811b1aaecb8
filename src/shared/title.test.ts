import assert from 'node:assert/strict';
import { test } from 'node:test';
import { titleFrom } from './title.ts';

test('titleFrom takes the first non-empty line, collapses whitespace and shortens long lines', () => {
  assert.equal(titleFrom('\n\n  Plan   a trip\nto Lisbon'), 'Plan a trip');
  assert.equal(titleFrom('   '), 'New chat');
  const long = titleFrom('word '.repeat(30));
  assert.ok(long.length <= 60 && long.endsWith('…'), long);
  assert.ok(!long.includes(' …'));
});
