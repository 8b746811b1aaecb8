import type { KvArray, KvDtype, KvLayout, KvSlice } from '../../tensor/kv-types.ts';
import { fromHalf } from '../../tensor/half.ts';

export type LayerKv = { key: KvArray; value: KvArray };

/**
 * Where a block decodes to: per layer, key and value arrays laid out [numKvHeads, cap, headDim]; the
 * block's token t lands at position at + t, for t < limit (tokens at or past `limit` are skipped).
 * Restore decodes every block of a chain straight into one such buffer per layer: no per-block arrays,
 * no concatenation afterwards.
 */
export interface KvTarget {
  layers: LayerKv[];
  cap: number;
  at: number;
  limit: number;
}

/** Fresh arrays for `count` tokens (a target with cap = count, at = 0). */
export function newTarget(layout: KvLayout, count: number): KvTarget {
  const n = layerElems(layout, count);
  const layers: LayerKv[] = [];
  for (let l = 0; l < layout.numLayers; l++)
    layers.push({ key: newArray(layout.dtype, n), value: newArray(layout.dtype, n) });
  return { layers, cap: count, at: 0, limit: count };
}

export { elemSize } from '../../tensor/kv-types.ts';

/** Elements of one layer's key (or value) tensor for `count` tokens: [numKvHeads, count, headDim]. */
export function layerElems(layout: KvLayout, count: number): number {
  return layout.numKvHeads * count * layout.headDim;
}

export function newArray(dtype: KvDtype, n: number): KvArray {
  return dtype === 'float32' ? new Float32Array(n) : new Uint16Array(n);
}

/** Reads element i as a number regardless of dtype. */
export function reader(a: KvArray): (i: number) => number {
  return a instanceof Float32Array ? (i) => a[i]! : (i) => fromHalf(a[i]!);
}

/** Bytes of a range of tokens in the model's own dtype (what a raw snapshot would cost). */
export { kvBytes as rawKvBytes } from '../../tensor/kv-types.ts';

/** The same range as raw fp16, the reference for `ratio_vs_fp16`. */
export function fp16KvBytes(layout: KvLayout, count: number): number {
  return layout.numLayers * 2 * layerElems(layout, count) * 2;
}

/** Tokens [from, to) (relative to the slice) of a slice, copied. */
export function subSlice(s: KvSlice, from: number, to: number): KvSlice {
  const n = s.tokens.length;
  const { numKvHeads: H, headDim: D } = s.layout;
  const m = to - from;
  const cut = (a: KvArray): KvArray => {
    const out = newArray(s.layout.dtype, H * m * D);
    for (let h = 0; h < H; h++) out.set(a.subarray((h * n + from) * D, (h * n + to) * D), h * m * D);
    return out;
  };
  return {
    layout: s.layout,
    start: s.start + from,
    tokens: s.tokens.slice(from, to),
    layers: s.layers.map((l) => ({ key: cut(l.key), value: cut(l.value) })),
  };
}

/** Joins contiguous slices into one (used by tests and by engines that want a single restore). */
export function concatSlices(slices: KvSlice[]): KvSlice {
  const first = slices[0];
  if (!first) throw new Error('concatSlices: no slices');
  const { numKvHeads: H, headDim: D, dtype } = first.layout;
  const n = slices.reduce((s, x) => s + x.tokens.length, 0);
  const layers = first.layers.map((_, l) => {
    const key = newArray(dtype, H * n * D);
    const value = newArray(dtype, H * n * D);
    let t0 = 0;
    for (const s of slices) {
      const m = s.tokens.length;
      const src = s.layers[l]!;
      for (let h = 0; h < H; h++) {
        key.set(src.key.subarray(h * m * D, (h + 1) * m * D), (h * n + t0) * D);
        value.set(src.value.subarray(h * m * D, (h + 1) * m * D), (h * n + t0) * D);
      }
      t0 += m;
    }
    return { key, value };
  });
  return { layout: first.layout, start: first.start, tokens: slices.flatMap((s) => s.tokens), layers };
}
