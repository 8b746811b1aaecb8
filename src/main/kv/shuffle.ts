// Byte-shuffle (as in blosc/HDF5): group byte 0 of every element, then byte 1, ... Exponent bytes of
// neighbouring floats are similar, so zstd finds far more redundancy in the shuffled stream.
// The 2- and 4-byte paths work on whole words (4x fewer iterations than a byte loop: this is on the
// restore path). Typed arrays use the platform byte order, which is little-endian everywhere Reprise runs.
export function shuffle(src: Uint8Array, elemSize: number): Uint8Array {
  const n = Math.floor(src.length / elemSize);
  const out = new Uint8Array(src.length);
  if (elemSize === 4 && src.byteOffset % 4 === 0) {
    const w = new Uint32Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const x = w[i]!;
      out[i] = x;
      out[n + i] = x >>> 8;
      out[2 * n + i] = x >>> 16;
      out[3 * n + i] = x >>> 24;
    }
  } else if (elemSize === 2 && src.byteOffset % 2 === 0) {
    const w = new Uint16Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const x = w[i]!;
      out[i] = x;
      out[n + i] = x >>> 8;
    }
  } else {
    for (let b = 0; b < elemSize; b++) {
      const base = b * n;
      for (let i = 0, j = b; i < n; i++, j += elemSize) out[base + i] = src[j]!;
    }
  }
  out.set(src.subarray(n * elemSize), n * elemSize);
  return out;
}

export function unshuffle(src: Uint8Array, elemSize: number): Uint8Array {
  const n = Math.floor(src.length / elemSize);
  const out = new Uint8Array(src.length);
  if (elemSize === 4) {
    const w = new Uint32Array(out.buffer, 0, n);
    const p0 = src.subarray(0, n);
    const p1 = src.subarray(n, 2 * n);
    const p2 = src.subarray(2 * n, 3 * n);
    const p3 = src.subarray(3 * n, 4 * n);
    for (let i = 0; i < n; i++) w[i] = p0[i]! | (p1[i]! << 8) | (p2[i]! << 16) | (p3[i]! << 24);
  } else if (elemSize === 2) {
    const w = new Uint16Array(out.buffer, 0, n);
    const p0 = src.subarray(0, n);
    const p1 = src.subarray(n, 2 * n);
    for (let i = 0; i < n; i++) w[i] = p0[i]! | (p1[i]! << 8);
  } else {
    for (let b = 0; b < elemSize; b++) {
      const base = b * n;
      for (let i = 0, j = b; i < n; i++, j += elemSize) out[j] = src[base + i]!;
    }
  }
  out.set(src.subarray(n * elemSize), n * elemSize);
  return out;
}
