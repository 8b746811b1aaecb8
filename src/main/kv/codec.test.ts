import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KvLayout } from '../engine/kv-types.ts';
import { createHash } from 'node:crypto';
import { BLOCK_VERSION, BlockError, decodeBlock, encodeBlock, readHeader } from './block-format.ts';
import { reader } from './codec/tensors.ts';
import { fromHalf, toHalf } from '../engine/half.ts';
import { ROOT_HASH, hashBlock } from './hash.ts';
import { synthKv, tokenLog } from './testing.ts';

const f32: KvLayout = { numLayers: 3, numKvHeads: 2, headDim: 16, dtype: 'float32' };
const f16: KvLayout = { ...f32, dtype: 'float16' };
const extra = Buffer.alloc(32, 7);

function block(layout: KvLayout, n = 64, start = 128) {
  const tokens = tokenLog(n, 3);
  const slice = synthKv(layout, start, tokens);
  const hash = hashBlock(ROOT_HASH, tokens, extra, 'full');
  return { slice, hash, tokens, start };
}

test('fp16 conversion round-trips every non-NaN half', () => {
  for (let h = 0; h < 65536; h++) {
    const v = fromHalf(h);
    if (Number.isNaN(v)) continue;
    assert.equal(toHalf(v), h, `half 0x${h.toString(16)}`);
  }
  assert.equal(toHalf(1e6), 0x7c00);
  assert.equal(toHalf(1 + 2 ** -11), 0x3c00); // tie to even
});

for (const layout of [f32, f16]) {
  test(`exact codec is bit-exact (${layout.dtype})`, async () => {
    const { slice, hash, tokens, start } = block(layout);
    const a = slice.layers[1]!.key;
    // special values survive too
    if (a instanceof Float32Array) a.set([NaN, -0, Infinity, -Infinity, 1e-45], 0);
    else a.set([0x7e00, 0x8000, 0x7c00, 0xfc00, 0x0001], 0);
    const { data, codec } = await encodeBlock(slice, hash, 'full', 'exact');
    assert.equal(codec, 'exact');
    const back = await decodeBlock(data, { hash, layout, start, tokens });
    for (let l = 0; l < layout.numLayers; l++) {
      for (const part of ['key', 'value'] as const) {
        const x = slice.layers[l]![part];
        const y = back.layers[l]![part];
        assert.equal(y.constructor, x.constructor);
        assert.deepEqual(
          Buffer.from(y.buffer, y.byteOffset, y.byteLength),
          Buffer.from(x.buffer, x.byteOffset, x.byteLength),
        );
      }
    }
  });

  for (const [codec, levels] of [
    ['int8', 255],
    ['int4', 15],
  ] as const) {
    test(`${codec} codec stays within its quantization error bound (${layout.dtype})`, async () => {
      const { slice, hash, tokens, start } = block(layout);
      const { data, codec: used } = await encodeBlock(slice, hash, 'full', codec);
      assert.equal(used, codec);
      const back = await decodeBlock(data, { hash, layout, start, tokens });
      const { numKvHeads: H, headDim: D } = layout;
      const n = tokens.length;
      for (let l = 0; l < layout.numLayers; l++) {
        const k0 = reader(slice.layers[l]!.key);
        const k1 = reader(back.layers[l]!.key);
        const v0 = reader(slice.layers[l]!.value);
        const v1 = reader(back.layers[l]!.value);
        // keys: bound per channel = half a step of that channel's range (+ fp16 output rounding)
        for (let h = 0; h < H; h++) {
          for (let d = 0; d < D; d++) {
            let lo = Infinity;
            let hi = -Infinity;
            for (let t = 0; t < n; t++) {
              const x = k0((h * n + t) * D + d);
              lo = Math.min(lo, x);
              hi = Math.max(hi, x);
            }
            const bound = ((hi - lo) / levels) * 0.5 * 1.01 + Math.max(Math.abs(lo), Math.abs(hi)) * 2 ** -10 + 1e-6;
            for (let t = 0; t < n; t++) {
              const i = (h * n + t) * D + d;
              assert.ok(Math.abs(k0(i) - k1(i)) <= bound, `${codec} key err ${Math.abs(k0(i) - k1(i))} > ${bound}`);
            }
          }
        }
        // values: bound per token (over all heads' channels)
        for (let t = 0; t < n; t++) {
          const idx: number[] = [];
          for (let h = 0; h < H; h++) for (let d = 0; d < D; d++) idx.push((h * n + t) * D + d);
          const lo = Math.min(...idx.map(v0));
          const hi = Math.max(...idx.map(v0));
          const bound = ((hi - lo) / levels) * 0.5 * 1.01 + Math.max(Math.abs(lo), Math.abs(hi)) * 2 ** -10 + 1e-6;
          for (const i of idx) assert.ok(Math.abs(v0(i) - v1(i)) <= bound, `${codec} value err`);
        }
      }
    });
  }
}

test('lossy codecs shrink the block (int4 < int8 < exact)', async () => {
  const { slice, hash } = block(f16);
  const sizes: Record<string, number> = {};
  for (const c of ['exact', 'int8', 'int4'] as const)
    sizes[c] = (await encodeBlock(slice, hash, 'full', c)).data.length;
  assert.ok(sizes.int4! < sizes.int8! && sizes.int8! < sizes.exact!, JSON.stringify(sizes));
});

test('non-finite KV falls back to the exact codec', async () => {
  const { slice, hash, tokens, start } = block(f32);
  (slice.layers[0]!.value as Float32Array)[5] = NaN;
  const { data, codec } = await encodeBlock(slice, hash, 'full', 'int4');
  assert.equal(codec, 'exact');
  const back = await decodeBlock(data, { hash, layout: f32, start, tokens });
  assert.ok(Number.isNaN((back.layers[0]!.value as Float32Array)[5]));
});

test('corrupt, truncated or misattributed blocks are detected', async () => {
  const { slice, hash, tokens, start } = block(f32);
  const { data } = await encodeBlock(slice, hash, 'full', 'int8');
  const expect = { hash, layout: f32, start, tokens };
  const flip = Buffer.from(data);
  flip[100] = flip[100]! ^ 0x01;
  await assert.rejects(decodeBlock(flip, expect), (e: BlockError) => e.reason === 'checksum');
  await assert.rejects(
    decodeBlock(data.subarray(0, data.length - 10), expect),
    (e: BlockError) => e.reason === 'truncated',
  );
  await assert.rejects(decodeBlock(data.subarray(0, 20), expect), (e: BlockError) => e.reason === 'truncated');
  await assert.rejects(decodeBlock(Buffer.alloc(200), expect), (e: BlockError) => e.reason === 'header');
  const other = hashBlock(ROOT_HASH, tokens, Buffer.alloc(32, 8), 'full');
  await assert.rejects(decodeBlock(data, { ...expect, hash: other }), (e: BlockError) => e.reason === 'mismatch');
  await assert.rejects(decodeBlock(data, { ...expect, layout: f16 }), (e: BlockError) => e.reason === 'mismatch');
  await assert.rejects(decodeBlock(data, { ...expect, start: 0 }), (e: BlockError) => e.reason === 'mismatch');
});

/** The same block as format v1 wrote it: version byte 1 and a SHA-256 trailer (the codec bodies are unchanged). */
function asV1(v2: Buffer): Buffer {
  const bodyEnd = 60 + v2.readUInt32LE(56);
  const out = Buffer.alloc(bodyEnd + 32);
  v2.copy(out, 0, 0, bodyEnd);
  out.writeUInt8(1, 4);
  createHash('sha256').update(out.subarray(0, bodyEnd)).digest().copy(out, bodyEnd);
  return out;
}

test('blocks of format v1 (SHA-256) still decode; v2 (XXH64) is written; unknown versions are rejected', async () => {
  assert.equal(BLOCK_VERSION, 2);
  for (const codec of ['exact', 'int8', 'int4'] as const) {
    const { slice, hash, tokens, start } = block(f32);
    const { data } = await encodeBlock(slice, hash, 'full', codec);
    assert.equal(readHeader(data).version, 2);
    assert.equal(data.length, 60 + readHeader(data).bodyBytes + 8);
    const expect = { hash, layout: f32, start, tokens };
    const now = await decodeBlock(data, expect);
    const old = asV1(data);
    assert.equal(readHeader(old).version, 1);
    const back = await decodeBlock(old, expect);
    for (const [l, layer] of back.layers.entries()) {
      assert.deepEqual(layer.key, now.layers[l]!.key, `${codec} layer ${l} key`);
      assert.deepEqual(layer.value, now.layers[l]!.value, `${codec} layer ${l} value`);
    }
    const flipped = Buffer.from(old);
    flipped[70] = flipped[70]! ^ 0x10;
    await assert.rejects(decodeBlock(flipped, expect), (e: BlockError) => e.reason === 'checksum');
    const future = Buffer.from(data);
    future.writeUInt8(3, 4);
    await assert.rejects(decodeBlock(future, expect), (e: BlockError) => e.reason === 'header');
  }
});
