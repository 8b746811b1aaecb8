import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KvLayout } from '../tensor/kv-types.ts';
import { giveKv, pooledKv, setKvPoolIdleMs, takeKv } from './kv-pool.ts';

const layout: KvLayout = { numLayers: 2, numKvHeads: 2, headDim: 4, dtype: 'float32' };

test('the K/V pool hands a given array back zeroed, the smallest that fits; keeps no empty arrays; stays under its cap', () => {
  const a = takeKv(layout, 10) as Float32Array;
  assert.equal(a.length, 2 * 10 * 4);
  a.fill(NaN);
  const big = takeKv(layout, 100);
  giveKv([big, a, takeKv(layout, 0), takeKv(layout, 0)]);
  assert.deepEqual(pooledKv(), { arrays: 2, bytes: big.byteLength + a.byteLength }, 'empty arrays are not kept');
  const b = takeKv(layout, 8);
  assert.equal(b, a, 'the smallest pooled array that fits');
  assert.ok(
    b.every((x) => x === 0),
    'zeroed',
  );
  assert.equal(
    takeKv({ ...layout, dtype: 'float16' }, 8) instanceof Uint16Array,
    true,
    'an fp16 cache gets its own type',
  );
  assert.equal(takeKv(layout, 101) === big, false, 'too small: a new one');
  // 128 MB at most: the oldest go first
  const chunk = () => takeKv({ ...layout, numKvHeads: 1, headDim: 1 }, 2 ** 23); // 32 MB each
  giveKv([chunk(), chunk(), chunk(), chunk(), chunk()]);
  assert.ok(pooledKv().bytes <= 128 * 2 ** 20);
  assert.equal(pooledKv().arrays, 4);
});

test('the pool lets its arrays go once none has been given or taken for a while', async () => {
  setKvPoolIdleMs(50);
  try {
    giveKv([takeKv(layout, 10), takeKv(layout, 20)]);
    assert.ok(pooledKv().arrays >= 2);
    takeKv(layout, 10); // a take within the window keeps the rest a while longer
    assert.ok(pooledKv().arrays >= 1);
    for (let i = 0; i < 100 && pooledKv().arrays > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(pooledKv(), { arrays: 0, bytes: 0 });
  } finally {
    setKvPoolIdleMs(60_000);
  }
});
