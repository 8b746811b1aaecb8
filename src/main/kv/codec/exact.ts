// Lossless: the raw KV bytes of every layer (key then value, each [numKvHeads, count, headDim]), stored
// either as they are (block version 4 on: a RAW_TAG, then the bytes) or byte-shuffled by element size and
// zstd'd (every exact body up to version 3, and `compress: true`).
//
// Raw is the default: on fp32 KV, shuffle + zstd saved 15 % of the bytes (20.8 vs 24.6 KB per token on
// bench-100m) for ~25x the save and restore CPU time (issue #18 measurements); a raw body decodes with one
// memcpy per head row range, straight into the engine-bound target.
import { type KvLayout, kvBytes } from '../../tensor/kv-types.ts';
import { shuffle } from '../shuffle.ts';
import { zstdCompress, zstdDecompress } from '../zstd.ts';
import { type KvTarget, type LayerKv, elemSize, layerElems } from './tensors.ts';

/** 'RKVR' little-endian. A zstd frame starts with 0xFD2FB528, so the two body kinds cannot be confused. */
export const RAW_TAG = 0x52564b52;
export const RAW_TAG_BYTES = 4;
const TAG_BYTES = RAW_TAG_BYTES;

export async function encodeExact(layers: LayerKv[], layout: KvLayout, compress = false): Promise<Buffer> {
  const es = elemSize(layout.dtype);
  const total = layers.reduce((s, l) => s + l.key.byteLength + l.value.byteLength, 0);
  const head = compress ? 0 : TAG_BYTES;
  const raw = Buffer.allocUnsafe(head + total);
  if (!compress) raw.writeUInt32LE(RAW_TAG, 0);
  let off = head;
  for (const l of layers) {
    for (const a of [l.key, l.value]) {
      raw.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
      off += a.byteLength;
    }
  }
  return compress ? zstdCompress(shuffle(raw, es)) : raw;
}

/** A raw (block version 4 on) exact body, rather than a zstd frame. */
export function isRaw(body: Uint8Array): boolean {
  return (
    body.length >= TAG_BYTES && (body[0]! | (body[1]! << 8) | (body[2]! << 16) | (body[3]! << 24)) >>> 0 === RAW_TAG
  );
}

/** A raw body: one byte copy per (layer, key/value, head) row range into the target. */
function decodeRawInto(body: Uint8Array, layout: KvLayout, count: number, target: KvTarget): void {
  const es = elemSize(layout.dtype);
  const { numLayers: L, numKvHeads: H, headDim: D } = layout;
  const per = layerElems(layout, count);
  const bytes = body.length - TAG_BYTES;
  if (bytes !== L * 2 * per * es) throw new Error(`exact body holds ${bytes} bytes, expected ${L * 2 * per * es}`);
  const { cap, at } = target;
  const rows = Math.min(count, target.limit);
  const rowBytes = D * es;
  for (let l = 0; l < L; l++)
    for (let k = 0; k < 2; k++) {
      const a = k === 0 ? target.layers[l]!.key : target.layers[l]!.value;
      const dst = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const base = TAG_BYTES + (2 * l + k) * per * es;
      for (let h = 0; h < H; h++) {
        const s = base + h * count * rowBytes;
        dst.set(body.subarray(s, s + rows * rowBytes), (h * cap + at) * rowBytes);
      }
    }
}

/** Decompressed size of an exact body: every layer's key and value for `count` tokens. */
export function exactBodyBytes(layout: KvLayout, count: number): number {
  return kvBytes(layout, count);
}

/**
 * A raw body is copied in place. A compressed one is decompressed, then un-shuffled each element straight into its final place in the target (the shuffled
 * byte planes are read in place: no unshuffled copy, no per-block tensors).
 */
export async function decodeExactInto(
  body: Uint8Array,
  layout: KvLayout,
  count: number,
  target: KvTarget,
): Promise<void> {
  if (isRaw(body)) return decodeRawInto(body, layout, count, target);
  const es = elemSize(layout.dtype);
  const { numLayers: L, numKvHeads: H, headDim: D } = layout;
  const n = count;
  const per = layerElems(layout, n);
  const N = L * 2 * per; // elements
  const raw = await zstdDecompress(body, N * es);
  const { cap, at } = target;
  const rows = Math.min(n, target.limit);
  // Fast path: read the byte planes a 32-bit word (4 elements) at a time and transpose 4x4 bytes in
  // registers (2.4x faster than byte loads). Needs rows of whole words: headDim % 4 === 0, aligned data.
  const words = D % 4 === 0 && raw.byteOffset % 4 === 0;
  const W = words ? new Uint32Array(raw.buffer, raw.byteOffset, (N * es) >> 2) : null;
  const q = N >> 2; // words per byte plane
  for (let l = 0; l < L; l++) {
    for (let k = 0; k < 2; k++) {
      const a = k === 0 ? target.layers[l]!.key : target.layers[l]!.value;
      const base = (2 * l + k) * per;
      if (es === 4) {
        const w = new Int32Array(a.buffer, a.byteOffset, a.length);
        if (W) {
          for (let h = 0; h < H; h++) {
            for (let t = 0; t < rows; t++) {
              const s = (base + (h * n + t) * D) >> 2;
              let o = (h * cap + at + t) * D;
              for (let j = s, e = s + (D >> 2); j < e; j++, o += 4) {
                const x0 = W[j]!;
                const x1 = W[q + j]!;
                const x2 = W[2 * q + j]!;
                const x3 = W[3 * q + j]!;
                w[o] = (x0 & 0xff) | ((x1 & 0xff) << 8) | ((x2 & 0xff) << 16) | (x3 << 24);
                w[o + 1] = ((x0 >>> 8) & 0xff) | (x1 & 0xff00) | ((x2 & 0xff00) << 8) | ((x3 >>> 8) << 24);
                w[o + 2] = ((x0 >>> 16) & 0xff) | ((x1 >>> 8) & 0xff00) | (x2 & 0xff0000) | ((x3 >>> 16) << 24);
                w[o + 3] = (x0 >>> 24) | ((x1 >>> 16) & 0xff00) | ((x2 >>> 8) & 0xff0000) | (x3 & 0xff000000);
              }
            }
          }
          continue;
        }
        const p0 = raw.subarray(0, N);
        const p1 = raw.subarray(N, 2 * N);
        const p2 = raw.subarray(2 * N, 3 * N);
        const p3 = raw.subarray(3 * N, 4 * N);
        for (let h = 0; h < H; h++) {
          for (let t = 0; t < rows; t++) {
            const s = base + (h * n + t) * D;
            const o = (h * cap + at + t) * D;
            for (let d = 0; d < D; d++) {
              const i = s + d;
              w[o + d] = p0[i]! | (p1[i]! << 8) | (p2[i]! << 16) | (p3[i]! << 24);
            }
          }
        }
      } else {
        const w = a as Uint16Array;
        if (W && a.byteOffset % 4 === 0) {
          const w32 = new Uint32Array(a.buffer, a.byteOffset, a.length >> 1);
          for (let h = 0; h < H; h++) {
            for (let t = 0; t < rows; t++) {
              const s = (base + (h * n + t) * D) >> 2;
              let o = ((h * cap + at + t) * D) >> 1;
              for (let j = s, e = s + (D >> 2); j < e; j++, o += 2) {
                const x0 = W[j]!; // low bytes of 4 elements
                const x1 = W[q + j]!; // high bytes
                w32[o] = (x0 & 0xff) | ((x1 & 0xff) << 8) | ((x0 & 0xff00) << 8) | ((x1 & 0xff00) << 16);
                w32[o + 1] = ((x0 >>> 16) & 0xff) | ((x1 >>> 8) & 0xff00) | ((x0 >>> 24) << 16) | ((x1 >>> 24) << 24);
              }
            }
          }
          continue;
        }
        const p0 = raw.subarray(0, N);
        const p1 = raw.subarray(N, 2 * N);
        for (let h = 0; h < H; h++) {
          for (let t = 0; t < rows; t++) {
            const s = base + (h * n + t) * D;
            const o = (h * cap + at + t) * D;
            for (let d = 0; d < D; d++) w[o + d] = p0[s + d]! | (p1[s + d]! << 8);
          }
        }
      }
    }
  }
}
