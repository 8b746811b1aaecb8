// Synthetic KV for tests and the crash-safety child: deterministic, with per-channel structure like
// real keys (channel offsets/outliers) so the quantizers see realistic groups.
import type { KvLayout, KvSlice } from '../tensor/kv-types.ts';
import type { BlockSource, NewBlock } from './ports.ts';
import { newArray } from './codec/tensors.ts';
import { toHalf } from '../tensor/half.ts';

/** KV of the token range [start, start + tokens.length) for a token log; a pure function of (layout, position, token). */
export function synthKv(layout: KvLayout, start: number, tokens: number[]): KvSlice {
  const { numLayers: L, numKvHeads: H, headDim: D, dtype } = layout;
  const n = tokens.length;
  const layers = [];
  for (let l = 0; l < L; l++) {
    const key = newArray(dtype, H * n * D);
    const value = newArray(dtype, H * n * D);
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < n; t++) {
        const pos = start + t;
        const tok = tokens[t]!;
        for (let d = 0; d < D; d++) {
          const i = (h * n + t) * D + d;
          const chan = (d % 7 === 0 ? 8 : 1) * Math.sin(l * 1.3 + h * 0.7 + d * 0.37);
          const k = chan + 0.5 * Math.sin(pos * 0.11 * (d + 1) + tok * 0.013);
          const v = Math.cos(tok * 0.029 + d * 0.5 + l) * (1 + (pos % 5) * 0.1);
          key[i] = dtype === 'float32' ? k : toHalf(k);
          value[i] = dtype === 'float32' ? v : toHalf(v);
        }
      }
    }
    layers.push({ key, value });
  }
  return { layout, start, tokens: tokens.slice(), layers };
}

/** A fake generator state for tests: exportKv over a token log using synthKv. */
export function synthExporter(layout: KvLayout, log: number[]) {
  return async (start: number, end: number) => synthKv(layout, start, log.slice(start, end));
}

export function tokenLog(n: number, seed = 1): number[] {
  const out: number[] = [];
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push(x % 4096);
  }
  return out;
}

/** Blocks kept in a Map: a BlockSource without SQLite. */
export class MapSource implements BlockSource {
  m = new Map<string, Buffer>();
  blockData(h: string) {
    return this.m.get(h);
  }
  hasBlock(h: string) {
    return this.m.has(h);
  }
  put(bs: NewBlock[]) {
    for (const b of bs) this.m.set(b.hash, b.data!); // encoded here: no engine-written files
  }
}
