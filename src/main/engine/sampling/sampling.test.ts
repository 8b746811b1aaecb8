import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Prng } from './prng.ts';
import { Candidates, RepetitionPenalty, argmax, minP, softmax, topK, topP } from './processors.ts';
import { Sampler } from './sampler.ts';

const logits = Float32Array.from([1, 5, 3, -2, 4, 0]);

test('argmax and top-k keep the largest logits, sorted', () => {
  assert.equal(argmax(logits), 1);
  const c = new Candidates(3);
  topK(logits, 3, c);
  assert.deepEqual([...c.ids.subarray(0, c.n)], [1, 4, 2]);
  const all = new Candidates(6);
  topK(logits, 0, all);
  assert.deepEqual([...all.ids], [1, 4, 2, 0, 5, 3]);
});

test('softmax, top-p and min-p cut the tail', () => {
  const c = new Candidates(6);
  topK(logits, 0, c);
  softmax(c, 1);
  assert.ok(Math.abs(c.vals.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  topP(c, 0.9); // 0.64 + 0.24 + 0.09 = 0.97 ≥ 0.9 → 3 candidates
  assert.equal(c.n, 3);
  minP(c, 0.2); // keep p ≥ 0.2 * 0.64
  assert.equal(c.n, 2);
});

test('repetition penalty divides positive and multiplies negative logits once per id, then restores them', () => {
  const l = Float32Array.from([2, -2, 1, 3]);
  const rp = new RepetitionPenalty();
  rp.apply(l, [0, 1, 0, 9], 2); // 0 twice: penalised once; 9 is outside the vocabulary
  assert.deepEqual([...l], [1, -4, 1, 3]);
  rp.restore(l);
  assert.deepEqual([...l], [2, -2, 1, 3]);
  rp.apply(l, [0, 1, 2, 3], 2, 2); // window: the last two ids only
  assert.deepEqual([...l], [2, -2, 0.5, 1.5]);
  rp.restore(l);
  assert.deepEqual([...l], [2, -2, 1, 3]);
});

test('greedy ignores the seed; seeded sampling is reproducible and never mutates logits', () => {
  const copy = logits.slice();
  assert.equal(new Sampler({ greedy: true, repetitionPenalty: 1.5 }).sample(logits, [1]), 4);
  const draw = (seed: number): number[] => {
    const s = new Sampler({ temperature: 2, seed });
    return Array.from({ length: 50 }, () => s.sample(logits, []));
  };
  assert.deepEqual(draw(1), draw(1));
  assert.notDeepEqual(draw(1), draw(2));
  assert.deepEqual(logits, copy);
  const p = new Prng(42);
  const q = new Prng(42);
  assert.equal(p.next(), q.next());
});

test('top-k 1 equals greedy', () => {
  const s = new Sampler({ topK: 1, temperature: 3, seed: 9 });
  for (let i = 0; i < 10; i++) assert.equal(s.sample(logits, []), 1);
});
