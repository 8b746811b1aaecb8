// The near-exact fp16 codec: an fp32 cache stored as IEEE half (RNE), an fp16 cache stored exact; damaged
// bodies refused like exact's; its blocks are other blocks than exact's; a chat resumed from fp16 blocks on
// the fixture models against the full recompute.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { xxh64 } from '@node-rs/xxhash';
import type { KvLayout } from '../tensor/kv-types.ts';
import { fromHalf, toHalf } from '../tensor/half.ts';
import { Engine } from '../engine/index.ts';
import { fixture, PROMPT } from '../engine/fixtures.testkit.ts';
import { BlockError, checkBlock, decodeBlock, decodeBlockInto, encodeBlock, readHeader } from './block-format.ts';
import { encodeFp16 } from './codec/fp16.ts';
import { newTarget } from './codec/tensors.ts';
import { kvContext, modelKvContext } from './context.ts';
import { ROOT_HASH, chainFor, hashBlock } from './hash.ts';
import { planRestore } from './restore.ts';
import { snapshotRange } from './save.ts';
import { MapSource, synthKv, tokenLog } from './synth.testkit.ts';

const f32: KvLayout = { numLayers: 3, numKvHeads: 2, headDim: 16, dtype: 'float32' };
const f16: KvLayout = { ...f32, dtype: 'float16' };
const extra = Buffer.alloc(32, 9);

function block(layout: KvLayout, n = 64, start = 128) {
  const tokens = tokenLog(n, 5);
  const slice = synthKv(layout, start, tokens);
  const hash = hashBlock(ROOT_HASH, tokens, extra, 'full');
  return { slice, hash, tokens, start, expect: { hash, layout, start, tokens } };
}

/** Rewrites a block's checksum after an edit, so the edit reaches the body checks. */
function resum(b: Buffer): Buffer {
  const end = 60 + b.readUInt32LE(56);
  b.writeBigUInt64LE(xxh64(b.subarray(0, end)), end);
  return b;
}

test('fp16 of an fp32 cache: every value is its nearest half (ties to even), in half the bytes of exact', async () => {
  const { slice, hash, expect } = block(f32);
  const a = slice.layers[0]!.key as Float32Array;
  // specials and rounding edges: NaN, ±0, ±Inf, a tie (to even), the largest half, subnormal halves, underflow
  a.set([NaN, -0, Infinity, -Infinity, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, -65519, 2 ** -24, 3 * 2 ** -26, 1e-30]);
  const { data, codec } = await encodeBlock(slice, hash, 'full', 'fp16');
  assert.equal(codec, 'fp16');
  const exact = (await encodeBlock(slice, hash, 'full', 'exact')).data;
  assert.equal(readHeader(data).bodyBytes - 4, (readHeader(exact).bodyBytes - 4) / 2);
  const back = await decodeBlock(data, expect);
  for (let l = 0; l < f32.numLayers; l++)
    for (const part of ['key', 'value'] as const) {
      const x = slice.layers[l]![part] as Float32Array;
      const y = back.layers[l]![part] as Float32Array;
      assert.ok(y instanceof Float32Array);
      for (let i = 0; i < x.length; i++) {
        const want = fromHalf(toHalf(x[i]!));
        if (Number.isNaN(want)) assert.ok(Number.isNaN(y[i]!));
        else assert.ok(Object.is(y[i], want), `layer ${l} ${part}[${i}]: ${x[i]} -> ${y[i]}, want ${want}`);
      }
    }
  assert.equal(back.layers[0]!.key[4], 1); // the tie 1 + 2^-11 rounds to even (1)
  assert.equal(back.layers[0]!.key[5], 1 + 2 ** -9); // 1 + 3·2^-11 rounds up
  // into a wider target at an offset, with a limit (what restore does)
  const target = newTarget(f32, 100);
  target.at = 10;
  target.limit = 30;
  await decodeBlockInto(data, expect, target);
  const D = f32.headDim;
  for (let h = 0; h < f32.numKvHeads; h++)
    assert.deepEqual(
      target.layers[2]!.value.subarray((h * 100 + 10) * D, (h * 100 + 40) * D),
      back.layers[2]!.value.subarray(h * 64 * D, (h * 64 + 30) * D),
    );
});

test('fp16 falls back to exact where a finite value would overflow half (|x| ≥ 65520)', async () => {
  const { slice, hash, expect } = block(f32);
  (slice.layers[1]!.value as Float32Array)[7] = 65520;
  assert.equal(encodeFp16(slice.layers, f32), null);
  const { data, codec } = await encodeBlock(slice, hash, 'full', 'fp16');
  assert.equal(codec, 'exact');
  assert.equal((await decodeBlock(data, expect)).layers[1]!.value[7], 65520);
});

test('fp16 of an fp16 cache is the exact block, bit for bit', async () => {
  const { slice, hash, expect } = block(f16);
  const { data, codec } = await encodeBlock(slice, hash, 'full', 'fp16');
  assert.equal(codec, 'exact');
  assert.deepEqual(data, (await encodeBlock(slice, hash, 'full', 'exact')).data);
  assert.deepEqual((await decodeBlock(data, expect)).layers, slice.layers);
});

test('damaged fp16 blocks are refused like exact ones: checksum, short or long body, wrong dtype', async () => {
  const { slice, hash, expect } = block(f32);
  const { data } = await encodeBlock(slice, hash, 'full', 'fp16');
  const flip = Buffer.from(data);
  flip[200] = flip[200]! ^ 0x01;
  await assert.rejects(decodeBlock(flip, expect), (e: BlockError) => e.reason === 'checksum');
  assert.throws(
    () => checkBlock(flip),
    (e: BlockError) => e.reason === 'checksum',
  );
  // a body 2 bytes short (header and checksum consistent): refused by the import check and by decode
  const bodyLen = data.readUInt32LE(56);
  for (const delta of [-2, 2]) {
    const body =
      delta < 0
        ? data.subarray(60, 60 + bodyLen + delta)
        : Buffer.concat([data.subarray(60, 60 + bodyLen), Buffer.alloc(delta)]);
    const bad = Buffer.concat([data.subarray(0, 60), body, Buffer.alloc(8)]);
    bad.writeUInt32LE(body.length, 56);
    resum(bad);
    assert.throws(
      () => checkBlock(bad),
      (e: BlockError) => e.reason === 'body',
      `body ${delta} bytes`,
    );
    await assert.rejects(decodeBlock(bad, expect), (e: BlockError) => e.reason === 'body');
  }
  // a lost tag
  const untagged = resum(Buffer.from(data));
  untagged[60] = 0;
  resum(untagged);
  assert.throws(
    () => checkBlock(untagged),
    (e: BlockError) => e.reason === 'body',
  );
  // an fp16 block claiming an fp16 cache (never written: an fp16 cache is stored exact)
  const as16 = Buffer.from(data);
  as16.writeUInt8(1, 6);
  resum(as16);
  assert.throws(
    () => checkBlock(as16),
    (e: BlockError) => e.reason === 'body',
  );
  assert.equal(checkBlock(data).codec, 'fp16');
});

test('fp16 blocks are other blocks than exact ones (the codec is part of the identity)', () => {
  const layout: KvLayout = { numLayers: 2, numKvHeads: 2, headDim: 8, dtype: 'float32' };
  const log = tokenLog(40, 1);
  const ctx = (codec: 'exact' | 'fp16') => kvContext({ fingerprint: 'a'.repeat(64), layout, codec, blockSize: 16 });
  const a = chainFor(log, 16, ctx('exact').extra);
  const b = chainFor(log, 16, ctx('fp16').extra);
  for (let i = 0; i < a.length; i++) assert.notEqual(a[i]!.hash, b[i]!.hash);
});

describe('a chat resumed from fp16 blocks', { concurrency: false }, () => {
  for (const name of ['tiny-llama', 'tiny-llama-fp16kv'] as const) {
    test(`${name}: greedy reply equals the full recompute`, async () => {
      const engine = await Engine.load(fixture(name), { threads: 1, fingerprintCachePath: null });
      try {
        const ids = await engine.tokenize(PROMPT);
        const full = await engine.createGenerator();
        await full.appendTokens(ids);
        const want = await full.generate({ sampling: { greedy: true }, maxTokens: 48, ignoreEos: true });
        // the stored history: the prompt and the reply, saved with fp16 (its partial tail too)
        const log = [...ids, ...want.tokenIds.slice(0, 24)];
        if (log.length % 16 === 0) log.pop();
        await full.rewindTo(log.length);
        const ctx = modelKvContext(engine.info, 'fp16', 16);
        const src = new MapSource();
        const snap = await snapshotRange(log, 0, ctx, (a, b) => full.exportKv(a, b), src);
        src.put(snap.blocks);
        assert.ok(snap.blocks.length >= 3 && snap.blocks.at(-1)!.kind === 'tail');
        const dtype = engine.info.layout.dtype;
        const codecs = snap.blocks.map((b) => `${b.kind}:${b.codec}`);
        // every block fp16 (an fp16 cache: exact), the partial tail included when there is one
        const want16 = dtype === 'float32' ? 'fp16' : 'exact';
        assert.ok(
          snap.blocks.every((b) => b.codec === want16),
          `${dtype}: ${codecs.join()}`,
        );
        await full.dispose();
        // a new process, as far as the engine goes: restore all but the last token, which runs for logits
        const plan = await planRestore(log, ctx, src, { maxTokens: log.length - 1, logger: { warn: assert.fail } });
        assert.equal(plan.restoredTokens, log.length - 1);
        const g = await engine.createGenerator();
        await g.restoreKv([plan.kv!], { transfer: true });
        await g.appendTokens(log.slice(-1));
        const k = log.length - ids.length; // reply tokens in the stored history
        const got = await g.generate({ sampling: { greedy: true }, maxTokens: 48 - k, ignoreEos: true });
        assert.deepEqual(got.tokenIds, want.tokenIds.slice(k));
        await g.dispose();
      } finally {
        await engine.dispose();
      }
    });
  }
});
