import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KvLayout } from '../tensor/kv-types.ts';
import type { BlockSource } from './ports.ts';
import { concatSlices } from './codec/tensors.ts';
import { kvContext } from './context.ts';
import { ROOT_HASH, chainFor, hashBlock, isBlockHash } from './hash.ts';
import { planRestore, storedPrefix } from './restore.ts';
import { snapshotRange } from './save.ts';
import { TokenChain } from './token-chain.ts';
import { MapSource, synthExporter, synthKv, tokenLog } from './synth.testkit.ts';

const layout: KvLayout = { numLayers: 2, numKvHeads: 2, headDim: 8, dtype: 'float32' };
const ctx = kvContext({ fingerprint: 'a'.repeat(64), layout, codec: 'exact', blockSize: 16 });

const warnings: string[] = [];
const logger = { warn: (m: string) => void warnings.push(m) };

test('block hashes chain over the whole prefix and bind the extra keys', () => {
  const a = tokenLog(40, 1);
  const b = [...a];
  b[3] = (b[3]! + 1) % 4096; // differs in the first block only
  const ca = chainFor(a, 16, ctx.extra);
  const cb = chainFor(b, 16, ctx.extra);
  assert.deepEqual(
    ca.map((x) => [x.kind, x.start, x.count]),
    [
      ['full', 0, 16],
      ['full', 16, 16],
      ['tail', 32, 8],
    ],
  );
  assert.ok(ca.every((x) => isBlockHash(x.hash)));
  assert.equal(ca[0]!.parentHash, ROOT_HASH);
  assert.equal(ca[1]!.parentHash, ca[0]!.hash);
  // identical second-block tokens, different prefix -> different identity (RoPE positions/context)
  assert.notEqual(ca[1]!.hash, cb[1]!.hash);
  const other = kvContext({ fingerprint: 'b'.repeat(64), layout, codec: 'exact', blockSize: 16 });
  assert.notEqual(chainFor(a, 16, other.extra)[0]!.hash, ca[0]!.hash);
  const f16 = kvContext({
    fingerprint: 'a'.repeat(64),
    layout: { ...layout, dtype: 'float16' },
    codec: 'exact',
    blockSize: 16,
  });
  assert.notEqual(chainFor(a, 16, f16.extra)[0]!.hash, ca[0]!.hash);
  const int8 = kvContext({ fingerprint: 'a'.repeat(64), layout, codec: 'int8', blockSize: 16 });
  assert.notEqual(chainFor(a, 16, int8.extra)[0]!.hash, ca[0]!.hash);
  // a 16-token tail never equals the full block over the same tokens
  assert.notEqual(hashBlock(ROOT_HASH, a.slice(0, 16), ctx.extra, 'tail'), ca[0]!.hash);
});

test('snapshot then restore returns the exact KV; saves export only new tokens', async () => {
  const src = new MapSource();
  const log = tokenLog(70, 2);
  const first = await snapshotRange(log.slice(0, 40), 0, ctx, synthExporter(layout, log), src);
  src.put(first.blocks);
  assert.equal(first.exportedTokens, 40);
  // next turn: only from the last full-block boundary (32) on
  const second = await snapshotRange(log, 40, ctx, synthExporter(layout, log), src);
  src.put(second.blocks);
  assert.equal(second.exportedTokens, 70 - 32);
  assert.deepEqual(
    second.blocks.map((b) => [b.kind, b.start]),
    [
      ['full', 32],
      ['full', 48],
      ['tail', 64],
    ],
  );
  const plan = await planRestore(log, ctx, src, { logger });
  assert.equal(plan.restoredTokens, 70);
  const got = concatSlices(plan.slices);
  assert.deepEqual(got, synthKv(layout, 0, log));
  // limit: the last token must be re-run for logits
  const lim = await planRestore(log, ctx, src, { logger, maxTokens: 69 });
  assert.equal(lim.restoredTokens, 69);
  assert.deepEqual(concatSlices(lim.slices), synthKv(layout, 0, log.slice(0, 69)));
});

test('restore stops at a missing or corrupt block and warns', async () => {
  const src = new MapSource();
  const log = tokenLog(64, 5);
  const r = await snapshotRange(log, 0, ctx, synthExporter(layout, log), src);
  src.put(r.blocks);
  const chain = chainFor(log, 16, ctx.extra);
  const d = Buffer.from(src.m.get(chain[2]!.hash)!);
  d[d.length - 40] = d[d.length - 40]! ^ 0xff;
  src.m.set(chain[2]!.hash, d);
  warnings.length = 0;
  const plan = await planRestore(log, ctx, src, { logger });
  assert.equal(plan.restoredTokens, 32);
  assert.deepEqual(plan.bad, [chain[2]!.hash]);
  assert.equal(plan.stop?.reason, 'corrupt');
  assert.equal(warnings.length, 1);
  src.m.delete(chain[1]!.hash);
  const plan2 = await planRestore(log, ctx, src, { logger });
  assert.equal(plan2.restoredTokens, 16);
  assert.equal(plan2.stop?.reason, 'missing');
  // another model's context finds nothing
  const other = kvContext({ fingerprint: 'c'.repeat(64), layout, codec: 'exact', blockSize: 16 });
  assert.equal((await planRestore(log, other, src, { logger })).restoredTokens, 0);
  // a throwing source is a fallback, not a crash
  const broken: BlockSource = {
    blockData: () => {
      throw new Error('disk gone');
    },
    hasBlock: () => false,
  };
  assert.equal((await planRestore(log, ctx, broken, { logger })).restoredTokens, 0);
});

test('lossy full blocks, exact tail', async () => {
  const src = new MapSource();
  const log = tokenLog(40, 9);
  const c4 = kvContext({ fingerprint: 'a'.repeat(64), layout, codec: 'int4', blockSize: 16 });
  const r = await snapshotRange(log, 0, c4, synthExporter(layout, log), src);
  assert.deepEqual(
    r.blocks.map((b) => b.codec),
    ['int4', 'int4', 'exact'],
  );
  src.put(r.blocks);
  const plan = await planRestore(log, c4, src, { logger });
  assert.equal(plan.restoredTokens, 40);
  assert.deepEqual(plan.slices[2], synthKv(layout, 32, log.slice(32)));
});

test('a TokenChain hashes each block once across restore and saves, and keeps its prefix when the log grows', async () => {
  const src = new MapSource();
  const log = tokenLog(70, 11);
  for (const n of [0, 5, 16, 40, 64, 70])
    for (const from of [0, 10, 32, n]) {
      const fresh = TokenChain.of(log.slice(0, n), ctx);
      assert.deepEqual(
        fresh.blocks(from),
        chainFor(log.slice(0, n), 16, ctx.extra).filter((b) => b.start >= Math.floor(Math.min(from, n) / 16) * 16),
        `blocks(${from}) of ${n} tokens`,
      );
    }
  // a turn: the prompt (50 tokens: 3 full blocks + a tail) is looked up, restored (nothing stored), saved
  const chain = TokenChain.of(log.slice(0, 50), ctx);
  assert.equal(storedPrefix(chain, ctx, src), 0);
  assert.equal((await planRestore(chain, ctx, src, { logger, maxTokens: 49 })).restoredTokens, 0);
  const prompt = await snapshotRange(chain, storedPrefix(chain, ctx, src), ctx, synthExporter(layout, log), src);
  src.put(prompt.blocks);
  assert.equal(chain.hashed, 4, 'three full blocks and the tail, each hashed once');
  // the reply: 20 more tokens. Only the blocks past the common prefix are hashed (full 48..64, tail 64..70)
  const reply = await snapshotRange(chain.follow(log), 50, ctx, synthExporter(layout, log), src);
  assert.equal(chain.hashed, 6);
  assert.deepEqual(
    reply.refs,
    chainFor(log, 16, ctx.extra)
      .slice(3)
      .map((b) => b.hash),
  );
  src.put(reply.blocks);
  assert.equal((await planRestore(chain, ctx, src, { logger })).restoredTokens, 70);
  assert.equal(chain.hashed, 6, 'the restore walk reused every hash');
  // a log that changed at token 20 keeps only the first block's hash
  const edited = [...log];
  edited[20] = (edited[20]! + 1) % 4096;
  assert.deepEqual(chain.follow(edited).blocks(), chainFor(edited, 16, ctx.extra));
  assert.equal(chain.hashed, 6 + 4);
});
