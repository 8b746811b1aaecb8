// KIVI-style asymmetric quantization (Liu et al., 2024): keys per channel (their outliers live in
// fixed channels), values per token. Each group stores (min, scale) as fp16; x ≈ min + q·scale.
// The group for keys is one block's tokens of one channel; for values, one token's channels across all
// KV heads (numKvHeads·headDim values: per-head groups would cost 32 bits per headDim values, which
// alone pushes int4 past a quarter of fp16).
// The "recent tokens kept exact" part of KIVI is the conversation's partial tail block, which the
// snapshot writer always stores with the exact codec (see snapshot.ts).
import type { KvLayout } from '../../engine/kv-types.ts';
import { fromHalf, toHalf } from '../fp16.ts';
import { shuffle, unshuffle } from '../shuffle.ts';
import { zstdCompress, zstdDecompress } from '../zstd.ts';
import { halfArrayToFloat } from '../fp16.ts';
import { type LayerKv, layerElems, newArray } from './tensors.ts';

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

/** Returns null when the block holds non-finite values (the caller then stores it exactly). */
export async function encodeQuant(
  layers: LayerKv[],
  layout: KvLayout,
  count: number,
  bits: QuantBits,
): Promise<Buffer | null> {
  const { numKvHeads: H, headDim: D } = layout;
  const n = count;
  const levels = (1 << bits) - 1;
  const per = layerElems(layout, n);
  const codes = new Uint8Array(layers.length * 2 * per);
  const prm = new Uint16Array(layers.length * (H * D + n) * 2);
  let c = 0;
  let p = 0;
  for (const { key, value } of layers) {
    // keys: group = (head, channel) over the block's tokens
    const kf = asFloat(key);
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
        if (!Number.isFinite(lo) || !Number.isFinite(hi)) return null;
        const [minH, scaleH] = params(lo, hi, levels);
        if ((minH & 0x7c00) === 0x7c00 || (scaleH & 0x7c00) === 0x7c00) return null;
        prm[p++] = minH;
        prm[p++] = scaleH;
        const mn = fromHalf(minH);
        const inv = scaleH ? 1 / fromHalf(scaleH) : 0;
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
      if (!Number.isFinite(lo) || !Number.isFinite(hi)) return null;
      const [minH, scaleH] = params(lo, hi, levels);
      if ((minH & 0x7c00) === 0x7c00 || (scaleH & 0x7c00) === 0x7c00) return null;
      prm[p++] = minH;
      prm[p++] = scaleH;
      const mn = fromHalf(minH);
      const inv = scaleH ? 1 / fromHalf(scaleH) : 0;
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
  return zstdCompress(body);
}

export async function decodeQuant(
  compressed: Uint8Array,
  layout: KvLayout,
  count: number,
  bits: QuantBits,
): Promise<LayerKv[]> {
  const { numLayers: L, numKvHeads: H, headDim: D, dtype } = layout;
  const n = count;
  const per = layerElems(layout, n);
  const body = await zstdDecompress(compressed);
  const expectPrm = L * (H * D + n) * 2;
  const total = L * 2 * per;
  const codeBytes = bits === 8 ? total : Math.ceil(total / 2);
  if (body.length < 4 || body.readUInt32LE(0) !== expectPrm || body.length !== 4 + expectPrm * 2 + codeBytes) {
    throw new Error(`quantized body has ${body.length} bytes, expected ${4 + expectPrm * 2 + codeBytes}`);
  }
  const prmRaw = unshuffle(body.subarray(4, 4 + expectPrm * 2), 2);
  const prm = new Uint16Array(prmRaw.buffer, prmRaw.byteOffset, expectPrm);
  const packed = body.subarray(4 + expectPrm * 2);
  const codes = bits === 8 ? packed : unpack4(packed, total);
  const f16 = dtype === 'float16';
  const levels = (1 << bits) - 1;
  const lut = new Float32Array(levels + 1);
  const lutH = new Uint16Array(levels + 1);
  // one group's dequantized levels; for fp16 output converted once per group, not once per element
  const fill = (mn: number, sc: number) => {
    for (let q = 0; q <= levels; q++) lut[q] = mn + q * sc;
    if (f16) for (let q = 0; q <= levels; q++) lutH[q] = toHalf(lut[q]!);
  };
  const out: LayerKv[] = [];
  let c = 0;
  let p = 0;
  for (let l = 0; l < L; l++) {
    const key = newArray(dtype, per);
    const kt = f16 ? lutH : lut;
    for (let h = 0; h < H; h++) {
      for (let d = 0; d < D; d++) {
        fill(fromHalf(prm[p]!), fromHalf(prm[p + 1]!));
        p += 2;
        for (let t = 0, i = h * n * D + d; t < n; t++, i += D) key[i] = kt[codes[c + i]!]!;
      }
    }
    c += per;
    const value = newArray(dtype, per);
    for (let t = 0; t < n; t++) {
      fill(fromHalf(prm[p]!), fromHalf(prm[p + 1]!));
      p += 2;
      for (let h = 0; h < H; h++) {
        for (let d = 0, i = (h * n + t) * D; d < D; d++, i++) value[i] = kt[codes[c + i]!]!;
      }
    }
    c += per;
    out.push({ key, value });
  }
  return out;
}

function pack4(codes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(codes.length / 2));
  for (let i = 0; i < codes.length; i += 2) out[i >> 1] = codes[i]! | ((codes[i + 1] ?? 0) << 4);
  return out;
}

function unpack4(packed: Uint8Array, total: number): Uint8Array {
  const out = new Uint8Array(total);
  for (let i = 0; i < total; i++) out[i] = (packed[i >> 1]! >> ((i & 1) * 4)) & 0xf;
  return out;
}
