// Near-exact: an fp32 cache stored as IEEE half precision (round to nearest, ties to even), raw — half the
// bytes of exact (12,288 B/token on bench-100m, llama.cpp's f16 state size) and no zstd: encode and decode
// are one pass over 32-bit words at memory-ish speed. An fp16 cache is stored exact by encodeBlock (it
// already is fp16), so on an fp16-KV model this codec is the exact one.
//
// Body: a 4-byte tag, then every layer's key then value, each [numKvHeads, count, headDim] as half bits.
import type { KvLayout } from '../../tensor/kv-types.ts';
import { halfBitsOf, halfTable } from '../../tensor/half.ts';
import { type KvTarget, type LayerKv, layerElems } from './tensors.ts';

/** 'RKVH' little-endian: neither a zstd frame (0xFD2FB528) nor exact's raw tag. */
const FP16_TAG = 0x48564b52;
export const FP16_TAG_BYTES = 4;

/** Bytes of an fp16 body's payload (without its tag) for `count` tokens. */
export function fp16BodyBytes(layout: KvLayout, count: number): number {
  return layout.numLayers * 2 * layerElems(layout, count) * 2;
}

/**
 * An fp32 cache as half bits; null when a finite value would overflow to ±Inf (|x| ≥ 65520): the caller then
 * stores the block exact, as the quantizers do with non-finite data. NaN and ±Inf themselves carry over.
 */
export function encodeFp16(layers: LayerKv[], layout: KvLayout): Buffer | null {
  if (layout.dtype !== 'float32') throw new Error('fp16 codec: the cache is already float16 (store it exact)');
  const total = layers.reduce((s, l) => s + l.key.length + l.value.length, 0);
  const out = Buffer.allocUnsafe(FP16_TAG_BYTES + total * 2);
  out.writeUInt32LE(FP16_TAG, 0);
  // Buffer.allocUnsafe comes from a pool at any even offset: write through a fresh aligned array, then copy
  const half = new Uint16Array(total);
  let o = 0;
  for (const l of layers) {
    for (const a of [l.key, l.value]) {
      const w = new Uint32Array(a.buffer, a.byteOffset, a.length);
      for (let i = 0; i < w.length; i++, o++) {
        const x = w[i]!;
        const abs = x & 0x7fffffff;
        // normal halves (2^-14 ≤ |x| < 65504 + half an ulp): rebias and round to nearest even in one add
        if (abs >= 0x38800000 && abs < 0x477ff000)
          half[o] = ((x >>> 16) & 0x8000) | ((abs - 0x38000000 + 0xfff + ((abs >>> 13) & 1)) >>> 13);
        else {
          const h = halfBitsOf(x);
          // overflow: a finite float became ±Inf
          if ((h & 0x7fff) === 0x7c00 && (x & 0x7f800000) !== 0x7f800000) return null;
          half[o] = h;
        }
      }
    }
  }
  out.set(new Uint8Array(half.buffer), FP16_TAG_BYTES);
  return out;
}

let bitsTable: Uint32Array | undefined;
/** The 65536 halves as float32 bit patterns (copying bits keeps NaN payloads; 256 KB, built once). */
function halfBitsTable(): Uint32Array {
  bitsTable ??= new Uint32Array(halfTable().buffer);
  return bitsTable;
}

/** An fp16 body, widened straight into an fp32 target: one table load per element, per (layer, K/V, head) rows. */
export function decodeFp16Into(body: Uint8Array, layout: KvLayout, count: number, target: KvTarget): void {
  if (layout.dtype !== 'float32') throw new Error('fp16 body for a float16 cache (expected an exact block)');
  const { numLayers: L, numKvHeads: H, headDim: D } = layout;
  const per = layerElems(layout, count);
  const bytes = body.length - FP16_TAG_BYTES;
  if (!isFp16(body)) throw new Error('fp16 body lacks its tag');
  if (bytes !== L * 2 * per * 2) throw new Error(`fp16 body holds ${bytes} bytes, expected ${L * 2 * per * 2}`);
  // the body sits at an arbitrary offset inside the block: read it as half words from an aligned copy if needed
  const start = body.byteOffset + FP16_TAG_BYTES;
  const src =
    start % 2 === 0
      ? new Uint16Array(body.buffer, start, bytes >> 1)
      : (() => {
          const copy = new Uint8Array(bytes);
          copy.set(body.subarray(FP16_TAG_BYTES));
          return new Uint16Array(copy.buffer);
        })();
  const T = halfBitsTable();
  const { cap, at } = target;
  const rows = Math.min(count, target.limit);
  // two halves per 32-bit load where rows start on whole words (even headDim, word-aligned body)
  const src32 = start % 4 === 0 && D % 2 === 0 ? new Uint32Array(src.buffer, src.byteOffset, src.length >> 1) : null;
  for (let l = 0; l < L; l++)
    for (let k = 0; k < 2; k++) {
      const a = k === 0 ? target.layers[l]!.key : target.layers[l]!.value;
      const dst = new Uint32Array(a.buffer, a.byteOffset, a.length);
      const base = (2 * l + k) * per;
      for (let h = 0; h < H; h++) {
        const s = base + h * count * D;
        const o = (h * cap + at) * D;
        const n = rows * D;
        if (src32) {
          for (let i = 0, j = s >> 1; i < n; i += 2, j++) {
            const w = src32[j]!;
            dst[o + i] = T[w & 0xffff]!;
            dst[o + i + 1] = T[w >>> 16]!;
          }
        } else for (let i = 0; i < n; i++) dst[o + i] = T[src[s + i]!]!;
      }
    }
}

/** An fp16 body (rather than anything else). */
export function isFp16(body: Uint8Array): boolean {
  return (
    body.length >= FP16_TAG_BYTES &&
    (body[0]! | (body[1]! << 8) | (body[2]! << 16) | (body[3]! << 24)) >>> 0 === FP16_TAG
  );
}
