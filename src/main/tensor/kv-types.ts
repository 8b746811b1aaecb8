// KV tensor layout types that engine/ and kv/ both use (tensor/ imports neither).
export type KvDtype = 'float32' | 'float16';
export type KvArray = Float32Array | Uint16Array; // float16 travels as raw bits in Uint16Array
export interface KvLayout {
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  dtype: KvDtype;
}
/** K/V of the token range [start, start + tokens.length). Per layer, key and value are laid out [numKvHeads, n, headDim] row-major (batch 1). */
export interface KvSlice {
  layout: KvLayout;
  start: number;
  tokens: number[];
  layers: Array<{ key: KvArray; value: KvArray }>;
}

export function elemSize(dtype: KvDtype): number {
  return dtype === 'float32' ? 4 : 2;
}

/** Bytes of the K/V of `count` tokens in the cache's dtype: every layer's key and value, [numKvHeads, count, headDim]. */
export function kvBytes(layout: KvLayout, count: number): number {
  return layout.numLayers * 2 * layout.numKvHeads * count * layout.headDim * elemSize(layout.dtype);
}

export function sameLayout(a: KvLayout, b: KvLayout): boolean {
  return a.numLayers === b.numLayers && a.numKvHeads === b.numKvHeads && a.headDim === b.headDim && a.dtype === b.dtype;
}

/**
 * The model's rotary position embedding as config.json states it: keys in the cache carry RoPE with these
 * parameters (HF "rotate_half" pairing: channel i with i + dims/2, for i < dims/2).
 */
export interface KeyRotation {
  theta: number;
  /** Rotated channels per head (headDim × partial_rotary_factor), even. */
  dims: number;
}
