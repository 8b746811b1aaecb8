import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asBlockHash } from '../kv/hash.ts';
import { tokenLog } from '../kv/synth.testkit.ts';
import { Store } from './store.ts';
import { testCtx, writeTurn } from './store.testkit.ts';

test('replacing a block payload keeps its identity and references, and the usage totals right', async () => {
  const s = Store.open(':memory:');
  const c = s.conversations.create({ title: 't', modelFingerprint: testCtx.fingerprint });
  await writeTurn(s, c.id, null, tokenLog(40, 2), [1, 2]);
  const sum = () =>
    (s.db.prepare('SELECT coalesce(sum(stored_bytes), 0) AS b FROM kv_blocks').get() as { b: number }).b;
  const { hash, refcount } = s.db.prepare('SELECT hash, refcount FROM kv_blocks LIMIT 1').get() as {
    hash: string;
    refcount: number;
  };
  const before = s.blocks.usedBytes();
  assert.equal(before, sum());
  assert.equal(s.blocks.replaceData(asBlockHash(hash), Buffer.alloc(12345, 1), 'exact'), true);
  assert.equal(s.blocks.info(hash)!.storedBytes, 12345);
  assert.equal(s.blocks.info(hash)!.refcount, refcount);
  assert.equal(Buffer.from(s.blocks.blockData(asBlockHash(hash))!).length, 12345);
  assert.equal(s.blocks.usedBytes(), sum(), 'kv_usage follows the new size');
  assert.equal(s.blocks.replaceData(asBlockHash('0'.repeat(64)), Buffer.alloc(1), 'exact'), false);
});
