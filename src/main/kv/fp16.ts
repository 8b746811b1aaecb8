// IEEE half-precision <-> float conversion. Node 20 has no Float16Array: fp16 KV travels as raw bits
// in a Uint16Array (see engine/kv-types.ts), so every fp16 touch point in kv/ goes through here.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float -> half bits, round-to-nearest-even (via float32). */
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
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
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
function halfTable(): Float32Array {
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

export function fromHalf(h: number): number {
  return halfTable()[h & 0xffff]!;
}

export function halfArrayToFloat(src: Uint16Array): Float32Array {
  const t = halfTable();
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]!]!;
  return out;
}
