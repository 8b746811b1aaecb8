// The one place that knows how float16 travels: raw IEEE-754 half bits in a Uint16Array (the pure
// conversions live in tensor/half.ts, which has no ORT import so kv/ can share them; re-exported here).
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

export { fromHalf, halfArrayToFloat, halfToFloat32, toHalf } from '../tensor/half.ts';
