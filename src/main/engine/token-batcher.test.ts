import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TokenEvent } from './generation.ts';
import { TokenBatcher } from './token-batcher.ts';

const ev = (id: number): TokenEvent => ({ tokenId: id, text: String(id) });

/** A 16 ms batcher on a hand-driven clock, recording the token ids of each message it sends. */
function recorder() {
  const clock = { now: 0 };
  const sent: number[][] = [];
  const b = new TokenBatcher(
    (es) => sent.push(es.map((e) => e.tokenId!)),
    16,
    () => clock.now,
  );
  return { b, sent, clock };
}

test('first token goes out at once, then events coalesce per interval, flush sends the rest in order', () => {
  const { b, sent, clock } = recorder();
  b.push(ev(1)); // t=0: first, sent immediately
  clock.now = 5;
  b.push(ev(2));
  clock.now = 10;
  b.push(ev(3));
  assert.deepEqual(sent, [[1]]);
  clock.now = 16;
  b.push(ev(4)); // 16 ms after the last send
  assert.deepEqual(sent, [[1], [2, 3, 4]]);
  clock.now = 20;
  b.push(ev(5));
  b.flush();
  b.flush(); // nothing held: no empty message
  assert.deepEqual(sent, [[1], [2, 3, 4], [5]]);
});

test('slow steps send every token as it comes', () => {
  const { b, sent, clock } = recorder();
  for (let i = 0; i < 4; i++, clock.now += 25) b.push(ev(i));
  assert.deepEqual(sent, [[0], [1], [2], [3]]);
});
