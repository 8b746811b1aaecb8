// IEEE-754 half precision <-> float, pure functions (no ORT import: engine/ and kv/ share them). This and
// engine/fp16.ts (which adds the ORT tensor side) are the one place that knows how float16 travels: raw half
// bits in a Uint16Array (Node 20 has no Float16Array).
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float -> half bits, round-to-nearest-even (via float32). */
export function toHalf(v: number): number {
  f32[0] = v;
  return halfBitsOf(u32[0]!);
}

/** Half bits of the float32 whose bits are `x` (RNE); no Math, no scratch arrays: encoders' inner loops. */
export function halfBitsOf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is still correct
  return sign | h;
}

let table: Float32Array | undefined;
/** All 65536 half values as float32 (256 KB, built on first use): conversion is one load. */
export function halfTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    let v: number;
    if (e === 0) v = m * 2 ** -24;
    else if (e === 0x1f) v = m ? NaN : Infinity;
    else v = (1 + m / 1024) * 2 ** (e - 15);
    table[h] = sign * v;
  }
  return table;
}

/** half bits -> float value. */
export function fromHalf(h: number): number {
  return halfTable()[h & 0xffff]!;
}

/** Half-precision rows (e.g. float16 logits) from `start` -> float32, into `out`. */
export function halfToFloat32(bits: Uint16Array, start: number, out: Float32Array): Float32Array {
  const t = halfTable();
  for (let i = 0; i < out.length; i++) out[i] = t[bits[start + i]!]!;
  return out;
}

/** A whole half array -> a new Float32Array. */
export function halfArrayToFloat(src: Uint16Array): Float32Array {
  return halfToFloat32(src, 0, new Float32Array(src.length));
}
