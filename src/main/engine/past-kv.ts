// The past K/V a sequence feeds to each run, behind one interface: the graph's own concat(past, new) outputs
// (concat-kv.ts) or engine-owned buffers the graph reads in place (slot-kv.ts, after new-kv-graph.ts).
import * as ort from 'onnxruntime-node';
import { float16Bits, float16Tensor } from './fp16.ts';
import { type KvArray, type KvLayout, type KvSlice, elemSize } from '../tensor/kv-types.ts';

export interface PastKv {
  /** Tokens whose K/V are held. */
  readonly length: number;
  /** Set the past inputs and the attention mask for a run of n new tokens after `length`. */
  feed(feeds: Record<string, ort.Tensor>, n: number): void;
  /** Keep the run's K/V: `length` becomes length + n. */
  take(out: ort.InferenceSession.ReturnType, n: number): void;
  /** Forget K/V from position n on: O(1). */
  truncate(n: number): void;
  /** Copies of the K/V of [start, end), per layer, each [numKvHeads, end - start, headDim]. */
  read(start: number, end: number): KvSlice['layers'];
  /** Replace everything with these slices (contiguous from 0, validated by the caller). */
  load(slices: readonly KvSlice[], total: number): void;
  /** The sequence is dropped: give back what can be reused (nothing is used afterwards). */
  release?(): void;
  /**
   * Byte views of rows [start, end) of every (layer, key then value, head), in that order: the cache's own
   * memory (kv-files.ts reads and writes through them), valid until the next run, load or prepare.
   */
  rowViews(start: number, end: number): Uint8Array[];
  /**
   * Holds nothing, with room for `total` tokens. The caller then writes rows [0, total) through rowViews (or
   * zeroes them: they may hold a dropped sequence's data) and keeps them with hold().
   */
  prepare(total: number): void;
  /** After prepare: the first n rows hold K/V (n ≤ the prepared total). */
  hold(n: number): void;
}

/** Byte views of rows [start, end) of each head of each array laid out [H, stride, D], in array then head order. */
export function headRowViews(
  layout: KvLayout,
  arrays: readonly KvArray[],
  stride: number,
  start: number,
  end: number,
): Uint8Array[] {
  const { numKvHeads: H, headDim: D } = layout;
  const es = elemSize(layout.dtype);
  const out: Uint8Array[] = [];
  for (const a of arrays)
    for (let h = 0; h < H; h++)
      out.push(new Uint8Array(a.buffer, a.byteOffset + (h * stride + start) * D * es, (end - start) * D * es));
  return out;
}

/** Shared int64 feeds: attention_mask rows of ones and position ids 0..n, sliced per step without allocating. */
export class Int64Tables {
  ones = new BigInt64Array(0);
  arange = new BigInt64Array(0);
  ensure(n: number): void {
    if (this.ones.length >= n) return;
    const size = Math.max(n, this.ones.length * 2, 1024);
    this.ones = new BigInt64Array(size).fill(1n);
    this.arange = new BigInt64Array(size);
    for (let i = 0; i < size; i++) this.arange[i] = BigInt(i);
  }
}

export function newKv(layout: KvLayout, tokens: number): KvArray {
  const len = layout.numKvHeads * tokens * layout.headDim;
  return layout.dtype === 'float16' ? new Uint16Array(len) : new Float32Array(len);
}

export function kvTensor(layout: KvLayout, data: KvArray, tokens: number): ort.Tensor {
  const dims = [1, layout.numKvHeads, tokens, layout.headDim];
  return layout.dtype === 'float16'
    ? float16Tensor(data as Uint16Array, dims)
    : new ort.Tensor('float32', data as Float32Array, dims);
}

export function kvData(layout: KvLayout, t: ort.Tensor): KvArray {
  return layout.dtype === 'float16' ? float16Bits(t.data) : (t.data as Float32Array);
}

/**
 * Copy token rows [from, to) of every head of a [H, srcStride, D] array into dst, a [H, dstStride, D] array,
 * at token offset `at`.
 */
export function copyRows(
  layout: KvLayout,
  src: KvArray,
  srcStride: number,
  from: number,
  to: number,
  dst: KvArray,
  dstStride: number,
  at: number,
): void {
  const D = layout.headDim;
  for (let h = 0; h < layout.numKvHeads; h++)
    dst.set(src.subarray((h * srcStride + from) * D, (h * srcStride + to) * D), (h * dstStride + at) * D);
}

/** Token rows [start, end) of every layer's K and V, from per-layer [H, stride, D] arrays (key, value, key, …). */
export function readRows(
  layout: KvLayout,
  source: (i: number) => KvArray,
  stride: number,
  start: number,
  end: number,
): KvSlice['layers'] {
  const n = end - start;
  const layers: KvSlice['layers'] = [];
  for (let l = 0; l < layout.numLayers; l++) {
    const key = newKv(layout, n);
    const value = newKv(layout, n);
    copyRows(layout, source(2 * l), stride, start, end, key, n, 0);
    copyRows(layout, source(2 * l + 1), stride, start, end, value, n, 0);
    layers.push({ key, value });
  }
  return layers;
}
