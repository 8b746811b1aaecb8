// KIVI-style asymmetric quantization (Liu et al., 2024): keys per channel (their outliers live in
// fixed channels), values per token. Each group stores (min, scale) as fp16; x ≈ min + q·scale.
// The group for keys is one block's tokens of one channel; for values, one token's channels across all
// KV heads (numKvHeads·headDim values: per-head groups would cost 32 bits per headDim values, which
// alone pushes int4 past a quarter of fp16).
// The "recent tokens kept exact" part of KIVI is the conversation's partial tail block, which the
// snapshot writer always stores with the exact codec (see save.ts).
// Keys are quantized with the model's RoPE undone (rope.ts) when the block says so: body format
// (block v3) = an 8-byte key-transform record [u8 kind (0 none, 1 RoPE), u8 0, u16 dims, f32 theta], then
// the zstd frame that was the whole body in v1/v2.
import type { KeyRotation, KvLayout } from '../../tensor/kv-types.ts';
import { fromHalf, halfArrayToFloat, halfTable, toHalf } from '../../tensor/half.ts';
import { shuffle, unshuffle } from '../shuffle.ts';
import { zstdCompress, zstdDecompress } from '../zstd.ts';
import { type RopeTable, ropeTable, rotateRow } from './rope.ts';
import { type KvTarget, type LayerKv, layerElems } from './tensors.ts';

const RECORD = 8;

/**
 * The rotation a block of `layout` can use: even dims within the head, a finite positive theta, rounded to
 * float32 as the block records it (the encoder must rotate with exactly what the decoder will read).
 */
function usable(rope: KeyRotation | null | undefined, headDim: number): KeyRotation | null {
  if (!rope) return null;
  const theta = Math.fround(rope.theta);
  const ok = Number.isFinite(theta) && theta > 0 && rope.dims > 0 && rope.dims % 2 === 0;
  return ok && rope.dims <= headDim ? { theta, dims: rope.dims } : null;
}

/** Keys of one layer with RoPE undone (a copy: the caller's slice is not touched). */
function unrotatedKeys(key: Float32Array | Uint16Array, layout: KvLayout, n: number, tab: RopeTable): Float32Array {
  const { numKvHeads: H, headDim: D } = layout;
  const out = key instanceof Float32Array ? key.slice() : halfArrayToFloat(key); // fp16 converts into a copy already
  for (let h = 0; h < H; h++) for (let t = 0; t < n; t++) rotateRow(out, (h * n + t) * D, tab, t, -1);
  return out;
}

const asFloat = (a: Float32Array | Uint16Array): Float32Array => (a instanceof Float32Array ? a : halfArrayToFloat(a));

export type QuantBits = 8 | 4;

/** fp16 (min, scale) for values in [lo, hi] with `levels` steps; scale rounded up so hi never clamps. */
function params(lo: number, hi: number, levels: number): [number, number] {
  const minH = toHalf(lo);
  const minF = fromHalf(minH);
  const scale = (hi - minF) / levels;
  if (scale <= 0) return [minH, 0];
  let scaleH = toHalf(scale);
  if (fromHalf(scaleH) < scale) scaleH += 1;
  return [minH, scaleH];
}

/**
 * Returns null when the block holds non-finite values (the caller then stores it exactly). `start` is the
 * block's first position (RoPE angles depend on it); `rope` null stores keys as they are.
 */
export async function encodeQuant(
  layers: LayerKv[],
  layout: KvLayout,
  count: number,
  bits: QuantBits,
  start: number,
  rope: KeyRotation | null,
): Promise<Buffer | null> {
  const { numKvHeads: H, headDim: D } = layout;
  const n = count;
  const rot = usable(rope, D);
  const tab = rot ? ropeTable(rot, start, n) : null;
  const levels = (1 << bits) - 1;
  const per = layerElems(layout, n);
  const codes = new Uint8Array(layers.length * 2 * per);
  const prm = new Uint16Array(layers.length * (H * D + n) * 2);
  let c = 0;
  let p = 0;
  /** Stores one group's fp16 (min, scale); [min, 1/scale] to quantize with, or null if not representable. */
  const group = (lo: number, hi: number): [number, number] | null => {
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return null;
    const [minH, scaleH] = params(lo, hi, levels);
    if ((minH & 0x7c00) === 0x7c00 || (scaleH & 0x7c00) === 0x7c00) return null;
    prm[p++] = minH;
    prm[p++] = scaleH;
    return [fromHalf(minH), scaleH ? 1 / fromHalf(scaleH) : 0];
  };
  for (const { key, value } of layers) {
    // keys: group = (head, channel) over the block's tokens
    const kf = tab ? unrotatedKeys(key, layout, n, tab) : asFloat(key);
    const k = (i: number) => kf[i]!;
    for (let h = 0; h < H; h++) {
      for (let d = 0; d < D; d++) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let t = 0; t < n; t++) {
          const x = k((h * n + t) * D + d);
          if (x !== x) return null; // NaN
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
        const g = group(lo, hi);
        if (!g) return null;
        const [mn, inv] = g;
        for (let t = 0; t < n; t++) {
          const i = (h * n + t) * D + d;
          const q = Math.round((k(i) - mn) * inv);
          codes[c + i] = q < 0 ? 0 : q > levels ? levels : q;
        }
      }
    }
    c += per;
    // values: group = token, over every head's channels
    const vf = asFloat(value);
    for (let t = 0; t < n; t++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let h = 0; h < H; h++) {
        for (let d = 0, i = (h * n + t) * D; d < D; d++, i++) {
          const x = vf[i]!;
          if (x !== x) return null; // NaN
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
      }
      const g = group(lo, hi);
      if (!g) return null;
      const [mn, inv] = g;
      for (let h = 0; h < H; h++) {
        for (let d = 0, i = (h * n + t) * D; d < D; d++, i++) {
          const q = Math.round((vf[i]! - mn) * inv);
          codes[c + i] = q < 0 ? 0 : q > levels ? levels : q;
        }
      }
    }
    c += per;
  }
  const packed = bits === 8 ? codes : pack4(codes);
  const prmBytes = shuffle(new Uint8Array(prm.buffer), 2);
  const body = new Uint8Array(4 + prmBytes.length + packed.length);
  new DataView(body.buffer).setUint32(0, prm.length, true);
  body.set(prmBytes, 4);
  body.set(packed, 4 + prmBytes.length);
  const z = await zstdCompress(body);
  const out = Buffer.allocUnsafe(RECORD + z.length);
  out.writeUInt8(rot ? 1 : 0, 0);
  out.writeUInt8(0, 1);
  out.writeUInt16LE(rot?.dims ?? 0, 2);
  out.writeFloatLE(rot?.theta ?? 0, 4);
  z.copy(out, RECORD);
  return out;
}

/** Decompressed size of a quantized body: parameter count, fp16 (min, scale) pairs, packed codes. */
export function quantBodyBytes(layout: KvLayout, count: number, bits: QuantBits): number {
  const { numLayers: L, numKvHeads: H, headDim: D } = layout;
  const total = L * 2 * layerElems(layout, count);
  return 4 + L * (H * D + count) * 2 * 2 + (bits === 8 ? total : Math.ceil(total / 2));
}

/** The zstd frame inside a quantized body (v3 bodies start with the key-transform record). */
export function zstdFrame(body: Uint8Array, version: number): Uint8Array {
  return version >= 3 ? body.subarray(RECORD) : body;
}

/** The key rotation a v3 body's record names (null: none); throws on a record no encoder writes. */
function readRecord(body: Uint8Array, headDim: number): KeyRotation | null {
  if (body.length < RECORD) throw new Error('quantized body is shorter than its key-transform record');
  const v = new DataView(body.buffer, body.byteOffset, RECORD);
  const kind = v.getUint8(0);
  const rope = { dims: v.getUint16(2, true), theta: v.getFloat32(4, true) };
  const bad = () => new Error(`unknown key transform ${kind}/${v.getUint8(1)}/${rope.dims}/${rope.theta}`);
  if (v.getUint8(1) !== 0) throw bad();
  if (kind === 0) {
    if (rope.dims !== 0 || v.getUint32(4) !== 0) throw bad();
    return null;
  }
  if (kind !== 1 || !usable(rope, headDim)) throw bad();
  return rope;
}

/**
 * Dequantizes straight into the target: codes are read from the packed stream in place (no unpacked
 * copy), each group's (min, scale) is read once. Values are bit-identical to min + q·scale rounded to the
 * output dtype, as the encoder's error bound assumes.
 */
export async function decodeQuantInto(
  compressed: Uint8Array,
  layout: KvLayout,
  count: number,
  bits: QuantBits,
  target: KvTarget,
  where: { version: number; start: number },
): Promise<void> {
  const { numLayers: L, numKvHeads: H, headDim: D, dtype } = layout;
  const n = count;
  const per = layerElems(layout, n);
  const rope = where.version >= 3 ? readRecord(compressed, D) : null;
  const expectPrm = L * (H * D + n) * 2;
  const body = await zstdDecompress(zstdFrame(compressed, where.version), quantBodyBytes(layout, count, bits));
  if (body.readUInt32LE(0) !== expectPrm)
    throw new Error(`quantized body names ${body.readUInt32LE(0)} parameters, expected ${expectPrm}`);
  const prmRaw = unshuffle(body.subarray(4, 4 + expectPrm * 2), 2);
  const prm = new Uint16Array(prmRaw.buffer, prmRaw.byteOffset, expectPrm);
  const packed = body.subarray(4 + expectPrm * 2);
  const ht = halfTable();
  const f16 = dtype === 'float16';
  const four = bits === 4;
  const pairs = four && D % 2 === 0; // every row starts on a byte boundary: read two codes per byte
  const eight = bits === 8; // one code per byte: read in place, no code() call per element (2x faster)
  const code = (i: number) => (packed[i >> 1]! >> ((i & 1) << 2)) & 15; // int4 only (int8 reads `packed`)
  const levels = (1 << bits) - 1;
  const { cap, at } = target;
  const rows = Math.min(n, target.limit);
  const tab = rope ? ropeTable(rope, where.start, rows) : null;
  const row = new Float64Array(D); // one key row, dequantized, before RoPE is redone
  // per-channel (key) parameters of one head, and for fp16 output one half-bits table per group
  const mnK = new Float64Array(D);
  const scK = new Float64Array(D);
  const lutH = f16 ? new Uint16Array(D * (levels + 1)) : null;
  const lutV = f16 ? new Uint16Array(levels + 1) : null;
  let p = 0;
  for (let l = 0; l < L; l++) {
    // keys: group = (head, channel) over the block's tokens
    const key = target.layers[l]!.key;
    const ck = 2 * l * per;
    for (let h = 0; h < H; h++) {
      for (let d = 0; d < D; d++, p += 2) {
        mnK[d] = ht[prm[p]!]!;
        scK[d] = ht[prm[p + 1]!]!;
        if (lutH && !tab) for (let q = 0; q <= levels; q++) lutH[d * (levels + 1) + q] = toHalf(mnK[d]! + q * scK[d]!);
      }
      for (let t = 0; t < rows; t++) {
        const s = ck + (h * n + t) * D;
        const o = (h * cap + at + t) * D;
        if (tab && !f16) keyRowRoped(key as Float32Array, o, packed, s, eight, mnK, scK, tab, t, D);
        else if (tab) {
          for (let d = 0; d < D; d++) row[d] = mnK[d]! + (eight ? packed[s + d]! : code(s + d)) * scK[d]!;
          rotateRow(row, 0, tab, t, 1);
          for (let d = 0; d < D; d++) (key as Uint16Array)[o + d] = toHalf(row[d]!);
        } else if (lutH) {
          const k = key as Uint16Array;
          if (eight) for (let d = 0; d < D; d++) k[o + d] = lutH[(d << 8) + packed[s + d]!]!;
          else for (let d = 0; d < D; d++) k[o + d] = lutH[d * (levels + 1) + code(s + d)]!;
        } else if (eight) {
          const k = key as Float32Array;
          for (let d = 0; d < D; d++) k[o + d] = mnK[d]! + packed[s + d]! * scK[d]!;
        } else if (pairs) {
          const k = key as Float32Array;
          for (let d = 0, b = s >> 1; d < D; d += 2, b++) {
            const x = packed[b]!;
            k[o + d] = mnK[d]! + (x & 15) * scK[d]!;
            k[o + d + 1] = mnK[d + 1]! + (x >> 4) * scK[d + 1]!;
          }
        } else {
          const k = key as Float32Array;
          for (let d = 0; d < D; d++) k[o + d] = mnK[d]! + code(s + d) * scK[d]!;
        }
      }
    }
    // values: group = token, over every head's channels
    const value = target.layers[l]!.value;
    const cv = (2 * l + 1) * per;
    for (let t = 0; t < rows; t++) {
      const mn = ht[prm[p + 2 * t]!]!;
      const sc = ht[prm[p + 2 * t + 1]!]!;
      if (lutV) {
        for (let q = 0; q <= levels; q++) lutV[q] = toHalf(mn + q * sc);
        const v = value as Uint16Array;
        for (let h = 0; h < H; h++) {
          const s = cv + (h * n + t) * D;
          const o = (h * cap + at + t) * D;
          if (eight) for (let d = 0; d < D; d++) v[o + d] = lutV[packed[s + d]!]!;
          else for (let d = 0; d < D; d++) v[o + d] = lutV[code(s + d)]!;
        }
      } else {
        const v = value as Float32Array;
        for (let h = 0; h < H; h++) {
          const s = cv + (h * n + t) * D;
          const o = (h * cap + at + t) * D;
          if (eight) for (let d = 0; d < D; d++) v[o + d] = mn + packed[s + d]! * sc;
          else if (pairs) {
            for (let d = 0, b = s >> 1; d < D; d += 2, b++) {
              const x = packed[b]!;
              v[o + d] = mn + (x & 15) * sc;
              v[o + d + 1] = mn + (x >> 4) * sc;
            }
          } else for (let d = 0; d < D; d++) v[o + d] = mn + code(s + d) * sc;
        }
      }
    }
    p += 2 * n;
  }
}

/**
 * One fp32 key row: dequantize channel pairs (i, i + half) and redo RoPE in one pass (the hot loop of a
 * lossy restore: a separate dequantize-then-rotate pass costs ~2x here). `s`: the row's first code index.
 */
function keyRowRoped(
  k: Float32Array,
  o: number,
  packed: Uint8Array,
  s: number,
  eight: boolean,
  mn: Float64Array,
  sc: Float64Array,
  tab: RopeTable,
  t: number,
  D: number,
): void {
  const { half, cos, sin } = tab;
  const j = t * half;
  if (eight) {
    for (let i = 0; i < half; i++) {
      const a = mn[i]! + packed[s + i]! * sc[i]!;
      const b = mn[i + half]! + packed[s + i + half]! * sc[i + half]!;
      const c = cos[j + i]!;
      const n = sin[j + i]!;
      k[o + i] = a * c - b * n;
      k[o + i + half] = b * c + a * n;
    }
    for (let d = 2 * half; d < D; d++) k[o + d] = mn[d]! + packed[s + d]! * sc[d]!;
    return;
  }
  if (half % 2 === 0 && s % 2 === 0) {
    // both channels of a pair, and the next pair, share bytes: two codes per byte read
    for (let i = 0, x = s >> 1, y = (s + half) >> 1; i < half; i += 2, x++, y++) {
      const p = packed[x]!;
      const q = packed[y]!;
      const a0 = mn[i]! + (p & 15) * sc[i]!;
      const a1 = mn[i + 1]! + (p >> 4) * sc[i + 1]!;
      const b0 = mn[i + half]! + (q & 15) * sc[i + half]!;
      const b1 = mn[i + half + 1]! + (q >> 4) * sc[i + half + 1]!;
      const c0 = cos[j + i]!;
      const n0 = sin[j + i]!;
      const c1 = cos[j + i + 1]!;
      const n1 = sin[j + i + 1]!;
      k[o + i] = a0 * c0 - b0 * n0;
      k[o + i + half] = b0 * c0 + a0 * n0;
      k[o + i + 1] = a1 * c1 - b1 * n1;
      k[o + i + half + 1] = b1 * c1 + a1 * n1;
    }
  } else
    for (let i = 0; i < half; i++) {
      const x = s + i;
      const y = x + half;
      const a = mn[i]! + ((packed[x >> 1]! >> ((x & 1) << 2)) & 15) * sc[i]!;
      const b = mn[i + half]! + ((packed[y >> 1]! >> ((y & 1) << 2)) & 15) * sc[i + half]!;
      const c = cos[j + i]!;
      const n = sin[j + i]!;
      k[o + i] = a * c - b * n;
      k[o + i + half] = b * c + a * n;
    }
  for (let d = 2 * half, x = s + d; d < D; d++, x++)
    k[o + d] = mn[d]! + ((packed[x >> 1]! >> ((x & 1) << 2)) & 15) * sc[d]!;
}

function pack4(codes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(codes.length / 2));
  for (let i = 0; i < codes.length; i += 2) out[i >> 1] = codes[i]! | ((codes[i + 1] ?? 0) << 4);
  return out;
}
