import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dateGroup, plural } from './format.ts';

test('date groups go on past "Older": the last 30 days, the months of this year, then years', () => {
  const now = new Date(2026, 11, 2, 12).getTime();
  const day = 24 * 60 * 60 * 1000;
  assert.equal(dateGroup(now, now), 'Today');
  assert.equal(dateGroup(now - day, now), 'Yesterday');
  assert.equal(dateGroup(now - 5 * day, now), 'Previous 7 days');
  assert.equal(dateGroup(now - 20 * day, now), 'Previous 30 days');
  assert.equal(
    dateGroup(new Date(2026, 2, 10).getTime(), now),
    new Intl.DateTimeFormat(undefined, { month: 'long' }).format(new Date(2026, 2, 10)),
  );
  assert.equal(dateGroup(new Date(2024, 5, 1).getTime(), now), '2024');
});

test('counts agree with their noun', () => {
  assert.equal(plural(1, 'block'), '1 block');
  assert.equal(plural(2, 'block'), '2 blocks');
  assert.equal(plural(0, 'token'), '0 tokens');
});
