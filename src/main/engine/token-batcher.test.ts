import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TokenEvent } from './generation.ts';
import { TokenBatcher } from './token-batcher.ts';

const ev = (id: number): TokenEvent => ({ tokenId: id, text: String(id) });

test('first token goes out at once, then events coalesce per interval, flush sends the rest in order', () => {
  let now = 0;
  const sent: number[][] = [];
  const b = new TokenBatcher(
    (es) => sent.push(es.map((e) => e.tokenId!)),
    16,
    () => now,
  );
  b.push(ev(1)); // t=0: first, sent immediately
  now = 5;
  b.push(ev(2));
  now = 10;
  b.push(ev(3));
  assert.deepEqual(sent, [[1]]);
  now = 16;
  b.push(ev(4)); // 16 ms after the last send
  assert.deepEqual(sent, [[1], [2, 3, 4]]);
  now = 20;
  b.push(ev(5));
  b.flush();
  b.flush(); // nothing held: no empty message
  assert.deepEqual(sent, [[1], [2, 3, 4], [5]]);
});

test('slow steps send every token as it comes', () => {
  let now = 0;
  const sent: number[][] = [];
  const b = new TokenBatcher(
    (es) => sent.push(es.map((e) => e.tokenId!)),
    16,
    () => now,
  );
  for (let i = 0; i < 4; i++, now += 25) b.push(ev(i));
  assert.deepEqual(sent, [[0], [1], [2], [3]]);
});
