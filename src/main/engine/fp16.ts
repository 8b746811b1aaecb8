// The one place that knows how float16 travels: raw IEEE-754 half bits in a Uint16Array.
// Node 20 has no Float16Array, and ORT then hands float16 data over as Uint16Array. Newer runtimes
// (Node >= 24, Electron >= 43) have a global Float16Array that onnxruntime-common prefers, with known bugs;
// we never do arithmetic on it, we only reinterpret its bytes.
import * as ort from 'onnxruntime-node';

/** View float16 tensor data (Uint16Array, or a global Float16Array on newer runtimes) as raw bits, without copying. */
export function float16Bits(data: unknown): Uint16Array {
  if (data instanceof Uint16Array) return data;
  if (ArrayBuffer.isView(data) && (data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT === 2) {
    return new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
  }
  throw new TypeError('float16 tensor data is neither Uint16Array nor Float16Array');
}

/** ORT accepts Uint16Array for 'float16' on every runtime (it wraps it in Float16Array itself when present). */
export function float16Tensor(bits: Uint16Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float16', bits, dims);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> float16 bits, round-to-nearest-even (tests and codecs). */
export function toHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** float16 bits -> float32 value. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Half-precision rows (e.g. float16 logits) -> float32, into `out`. */
export function halfToFloat32(bits: Uint16Array, start: number, out: Float32Array): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = fromHalf(bits[start + i]!);
  return out;
}
