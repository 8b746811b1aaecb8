// Token ids persist as uint32 little-endian blobs: compact, exact, and cheap to concatenate.
export function encodeTokenIds(ids: readonly number[]): Buffer {
  const b = Buffer.allocUnsafe(ids.length * 4);
  for (let i = 0; i < ids.length; i++) b.writeUInt32LE(ids[i]!, i * 4);
  return b;
}

export function decodeTokenIds(b: Uint8Array): number[] {
  if (b.byteLength % 4 !== 0) throw new Error(`token id blob has ${b.byteLength} bytes, not a multiple of 4`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Array<number>(b.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}
