// Lossless: the raw KV bytes of every layer (key then value), byte-shuffled by element size, zstd'd.
import type { KvLayout } from '../../engine/kv-types.ts';
import { shuffle, unshuffle } from '../shuffle.ts';
import { zstdCompress, zstdDecompress } from '../zstd.ts';
import { type LayerKv, elemSize, layerElems } from './tensors.ts';

export async function encodeExact(layers: LayerKv[], layout: KvLayout): Promise<Buffer> {
  const es = elemSize(layout.dtype);
  const total = layers.reduce((s, l) => s + l.key.byteLength + l.value.byteLength, 0);
  const raw = new Uint8Array(total);
  let off = 0;
  for (const l of layers) {
    for (const a of [l.key, l.value]) {
      raw.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
      off += a.byteLength;
    }
  }
  return zstdCompress(shuffle(raw, es));
}

export async function decodeExact(body: Uint8Array, layout: KvLayout, count: number): Promise<LayerKv[]> {
  const es = elemSize(layout.dtype);
  const n = layerElems(layout, count);
  const raw = unshuffle(await zstdDecompress(body), es);
  if (raw.length !== layout.numLayers * 2 * n * es)
    throw new Error(`exact body holds ${raw.length} bytes, expected ${layout.numLayers * 2 * n * es}`);
  // views over the one unshuffled buffer (aligned: it is fresh and every tensor is a whole number of elements)
  const view = (off: number) =>
    layout.dtype === 'float32'
      ? new Float32Array(raw.buffer, raw.byteOffset + off, n)
      : new Uint16Array(raw.buffer, raw.byteOffset + off, n);
  const out: LayerKv[] = [];
  for (let l = 0; l < layout.numLayers; l++) out.push({ key: view(2 * l * n * es), value: view((2 * l + 1) * n * es) });
  return out;
}
