import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyRotation, KvLayout } from '../tensor/kv-types.ts';
import { createHash } from 'node:crypto';
import { xxh64 } from '@node-rs/xxhash';
import { ropeTable, rotateRow } from './codec/rope.ts';
import { BLOCK_VERSION, BlockError, decodeBlock, decodeBlockInto, encodeBlock, readHeader } from './block-format.ts';
import { encodeExact } from './codec/exact.ts';
import { newTarget, reader } from './codec/tensors.ts';
import { fromHalf, toHalf } from '../tensor/half.ts';
import { ROOT_HASH, hashBlock } from './hash.ts';
import { synthKv, tokenLog } from './synth.testkit.ts';

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

  test(`exact blocks are stored raw; a compressed exact body decodes alike; a short raw body is refused (${layout.dtype})`, async () => {
    const { slice, hash, tokens, start } = block(layout);
    const expect = { hash, layout, start, tokens };
    const { data } = await encodeBlock(slice, hash, 'full', 'exact');
    const raw = slice.layers.reduce((n, l) => n + l.key.byteLength + l.value.byteLength, 0);
    assert.equal(readHeader(data).bodyBytes, 4 + raw, 'a 4-byte tag, then the bytes as they are');
    const zstd = await encodeExact(slice.layers, layout, true);
    const packed = Buffer.concat([data.subarray(0, 60), zstd, Buffer.alloc(8)]);
    packed.writeUInt32LE(zstd.length, 56);
    const a = await decodeBlock(data, expect);
    const b = await decodeBlock(resum(packed), expect);
    assert.deepEqual(b.layers, a.layers);
    assert.deepEqual(a.layers, slice.layers);
    // into a wider target at an offset, with a limit (what restore does)
    const target = newTarget(layout, 100);
    target.at = 10;
    target.limit = 30;
    await decodeBlockInto(data, expect, target);
    const D = layout.headDim;
    const n = tokens.length;
    for (let h = 0; h < layout.numKvHeads; h++) {
      const got = target.layers[2]!.value.subarray((h * 100 + 10) * D, (h * 100 + 40) * D);
      assert.deepEqual(got, slice.layers[2]!.value.subarray(h * n * D, (h * n + 30) * D));
    }
    const short = Buffer.concat([data.subarray(0, 60 + 4 + raw - 2), Buffer.alloc(8)]);
    short.writeUInt32LE(4 + raw - 2, 56);
    await assert.rejects(decodeBlock(resum(short), expect), (e: BlockError) => e.reason === 'body');
  });

  for (const [codec, levels, rope] of [
    ['int8', 255, null],
    ['int4', 15, null],
    ['int8', 255, { theta: 10000, dims: 16 }],
    ['int4', 15, { theta: 10000, dims: 16 }],
    ['int4', 15, { theta: 500000, dims: 8 }], // partial rotary: channels 8..15 stay as they are
    ['int4', 15, { theta: 123456789.123, dims: 16 }], // stored as float32: encoder and decoder must agree
  ] as const) {
    const r = rope ? `, keys before RoPE θ=${rope.theta} over ${rope.dims} channels` : '';
    test(`${codec} codec stays within its quantization error bound (${layout.dtype}${r})`, async () => {
      const { slice, hash, tokens, start } = block(layout);
      const { data, codec: used } = await encodeBlock(slice, hash, 'full', codec, rope);
      assert.equal(used, codec);
      const back = await decodeBlock(data, { hash, layout, start, tokens });
      const { numKvHeads: H, headDim: D } = layout;
      const n = tokens.length;
      // with RoPE, the bound holds per channel of the un-rotated keys (what was quantized); fp16 output
      // rounding happens after the rotation is redone, so it spreads over a channel pair
      const slack = rope && layout.dtype === 'float16' ? 2 ** -8 : 0;
      const keys = (a: Float32Array | Uint16Array) => (rope ? unrotated(a, layout, n, start, rope) : reader(a));
      for (let l = 0; l < layout.numLayers; l++) {
        const k0 = keys(slice.layers[l]!.key);
        const k1 = keys(back.layers[l]!.key);
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
            const mag = Math.max(Math.abs(lo), Math.abs(hi));
            const bound = ((hi - lo) / levels) * 0.5 * 1.01 + mag * 2 ** -10 + 8 * slack + 1e-5;
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

/** Keys of a [H, n, D] array with RoPE undone, as float64 (test reference). */
function unrotated(a: Float32Array | Uint16Array, layout: KvLayout, n: number, start: number, rope: KeyRotation) {
  const r = reader(a);
  const out = Float64Array.from({ length: a.length }, (_, i) => r(i));
  const tab = ropeTable(rope, start, n);
  for (let h = 0; h < layout.numKvHeads; h++)
    for (let t = 0; t < n; t++) rotateRow(out, (h * n + t) * layout.headDim, tab, t, -1);
  return (i: number) => out[i]!;
}

test('int4 with RoPE undone: keys that RoPE spins come back far closer than quantized as stored', async () => {
  // keys as a RoPE model caches them: steady per-channel values (plus a little noise), rotated by position
  const layout: KvLayout = { numLayers: 2, numKvHeads: 2, headDim: 32, dtype: 'float32' };
  const rope = { theta: 10000, dims: 32 };
  const { slice, hash, tokens, start } = block(layout, 64, 960);
  const tab = ropeTable(rope, start, 64);
  for (const { key } of slice.layers) {
    const k = key as Float32Array;
    for (let h = 0; h < 2; h++)
      for (let t = 0; t < 64; t++) {
        const o = (h * 64 + t) * 32;
        for (let d = 0; d < 32; d++) k[o + d] = (d % 5 === 0 ? 6 : 1) * Math.cos(d + h) + 0.05 * Math.sin(t * 7 + d);
        rotateRow(k, o, tab, t, 1);
      }
  }
  const err: Record<string, number> = {};
  for (const [name, r] of [
    ['as stored', null],
    ['before RoPE', rope],
  ] as const) {
    const { data } = await encodeBlock(slice, hash, 'full', 'int4', r);
    const back = await decodeBlock(data, { hash, layout, start, tokens });
    let e = 0;
    for (const [l, { key }] of back.layers.entries()) {
      const a = slice.layers[l]!.key as Float32Array;
      for (let i = 0; i < a.length; i++) e += Math.abs(a[i]! - (key as Float32Array)[i]!);
    }
    err[name] = e;
  }
  assert.ok(err['before RoPE']! < 0.25 * err['as stored']!, JSON.stringify(err));
});

test('RoPE undone on odd head sizes and partial rotary; a partial decode equals the full one', async () => {
  for (const [D, dims] of [
    [15, 6],
    [15, 14],
    [10, 10],
    [16, 12],
    [9, 2],
  ] as const)
    for (const dtype of ['float32', 'float16'] as const)
      for (const codec of ['int8', 'int4'] as const) {
        const layout: KvLayout = { numLayers: 2, numKvHeads: 2, headDim: D, dtype };
        const rope = { theta: 10000, dims };
        const { slice, hash, tokens, start } = block(layout, 33, 30);
        const { data } = await encodeBlock(slice, hash, 'full', codec, rope);
        const expect = { hash, layout, start, tokens };
        const back = await decodeBlock(data, expect);
        const levels = codec === 'int8' ? 255 : 15;
        for (const [l, { key }] of back.layers.entries()) {
          const k0 = unrotated(slice.layers[l]!.key, layout, 33, start, rope);
          const k1 = unrotated(key, layout, 33, start, rope);
          for (let h = 0; h < 2; h++)
            for (let d = 0; d < D; d++) {
              const xs = Array.from({ length: 33 }, (_, t) => k0((h * 33 + t) * D + d));
              const mag = Math.max(...xs.map(Math.abs));
              const bound =
                ((Math.max(...xs) - Math.min(...xs)) / levels) * 0.51 +
                mag * (dtype === 'float16' ? 2 ** -6 : 2 ** -10) +
                1e-5;
              for (let t = 0; t < 33; t++) {
                const i = (h * 33 + t) * D + d;
                assert.ok(Math.abs(k0(i) - k1(i)) <= bound, `D=${D} dims=${dims} ${dtype} ${codec}: key err`);
              }
            }
        }
        // rows 0..19 of the block into a 50-row target at offset 30: the same values as the full decode
        const target = newTarget(layout, 50);
        await decodeBlockInto(data, expect, { ...target, at: 30, limit: 20 });
        for (const [l, { key, value }] of target.layers.entries())
          for (let h = 0; h < 2; h++)
            for (const [part, full] of [
              [key, back.layers[l]!.key],
              [value, back.layers[l]!.value],
            ] as const)
              assert.deepEqual(
                part.subarray((h * 50 + 30) * D, (h * 50 + 50) * D),
                full.subarray(h * 33 * D, (h * 33 + 20) * D),
                `D=${D} dims=${dims} ${dtype} ${codec}: partial decode`,
              );
      }
});

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

/**
 * The same block as an older format wrote it (v1: SHA-256 trailer; v2: XXH64; v3: as v4 with exact bodies
 * always compressed). v1/v2 quantized bodies lack v3's key-transform record, which must then say "none"
 * (older formats had no transform). `exactBody`: the compressed exact body, for an exact block.
 */
function asOld(v4: Buffer, version: 1 | 2 | 3, exactBody?: Buffer): Buffer {
  const quant = v4.readUInt8(5) !== 0;
  if (quant && version < 3) assert.equal(v4.readUInt8(60), 0, 'only a block without key transform has an older form');
  const body = exactBody ?? v4.subarray(60 + (quant && version < 3 ? 8 : 0), 60 + v4.readUInt32LE(56));
  const head = Buffer.from(v4.subarray(0, 60));
  head.writeUInt8(version, 4);
  head.writeUInt32LE(body.length, 56);
  const data = Buffer.concat([head, body]);
  const sum = Buffer.alloc(version === 1 ? 32 : 8);
  if (version === 1) createHash('sha256').update(data).digest().copy(sum);
  else sum.writeBigUInt64LE(xxh64(data));
  return Buffer.concat([data, sum]);
}

/** Rewrites a v3/v4 block's checksum after an edit (the edit then reaches the decoder). */
function resum(b: Buffer): Buffer {
  const end = 60 + b.readUInt32LE(56);
  b.writeBigUInt64LE(xxh64(b.subarray(0, end)), end);
  return b;
}

test('blocks of formats v1 (SHA-256), v2 and v3 still decode; v4 is written; unknown versions are rejected', async () => {
  assert.equal(BLOCK_VERSION, 4);
  for (const codec of ['exact', 'int8', 'int4'] as const) {
    const { slice, hash, tokens, start } = block(f32);
    const { data } = await encodeBlock(slice, hash, 'full', codec);
    assert.equal(readHeader(data).version, 4);
    assert.equal(data.length, 60 + readHeader(data).bodyBytes + 8);
    const expect = { hash, layout: f32, start, tokens };
    const now = await decodeBlock(data, expect);
    const zstdBody = codec === 'exact' ? await encodeExact(slice.layers, f32, true) : undefined;
    for (const version of [1, 2, 3] as const) {
      const old = asOld(data, version, zstdBody);
      assert.equal(readHeader(old).version, version);
      const back = await decodeBlock(old, expect);
      for (const [l, layer] of back.layers.entries()) {
        assert.deepEqual(layer.key, now.layers[l]!.key, `v${version} ${codec} layer ${l} key`);
        assert.deepEqual(layer.value, now.layers[l]!.value, `v${version} ${codec} layer ${l} value`);
      }
      const flipped = Buffer.from(old);
      flipped[70] = flipped[70]! ^ 0x10;
      await assert.rejects(decodeBlock(flipped, expect), (e: BlockError) => e.reason === 'checksum');
    }
    const future = Buffer.from(data);
    future.writeUInt8(5, 4);
    await assert.rejects(decodeBlock(future, expect), (e: BlockError) => e.reason === 'header');
  }
});

test('a quantized block whose key-transform record no encoder writes is refused as a body error', async () => {
  const { slice, hash, tokens, start } = block(f32);
  const expect = { hash, layout: f32, start, tokens };
  const { data } = await encodeBlock(slice, hash, 'full', 'int4', { theta: 10000, dims: 16 });
  assert.equal(data.readUInt8(60), 1);
  await decodeBlock(data, expect);
  const future = Buffer.from(data);
  future.writeUInt8(9, 4);
  await assert.rejects(decodeBlock(future, expect), /newer Reprise/);
  const none = (await encodeBlock(slice, hash, 'full', 'int4')).data;
  for (const edit of [
    (b: Buffer) => b.writeUInt8(1, 61), // reserved byte
    (b: Buffer) => b.writeUInt16LE(16, 62), // "no transform" with parameters
    (b: Buffer) => b.writeFloatLE(10000, 64),
  ]) {
    const b = Buffer.from(none);
    edit(b);
    await assert.rejects(decodeBlock(resum(b), expect), (e: BlockError) => e.reason === 'body');
  }
  for (const edit of [
    (b: Buffer) => b.writeUInt8(1, 61), // reserved byte
    (b: Buffer) => b.writeUInt8(2, 60), // unknown kind
    (b: Buffer) => b.writeUInt16LE(17, 62), // odd dims
    (b: Buffer) => b.writeUInt16LE(32, 62), // wider than the head
    (b: Buffer) => b.writeFloatLE(-1, 64), // negative theta
  ]) {
    const b = Buffer.from(data);
    edit(b);
    await assert.rejects(decodeBlock(resum(b), expect), (e: BlockError) => e.reason === 'body');
  }
});
