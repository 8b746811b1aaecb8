// Past K/V as the graph's own present outputs (concat(past, new)), for graphs new-kv-graph.ts cannot rewrite.
// Every run's outputs become the next run's inputs; onnxruntime-node copies them into new JS buffers, so a
// step costs O(context) in copies (the reason slot-kv.ts exists).
import * as ort from 'onnxruntime-node';
import type { IoMap } from './io-map.ts';
import type { KvArray, KvSlice } from '../tensor/kv-types.ts';
import { copyRows, headRowViews, kvData, kvTensor, newKv, readRows, type Int64Tables, type PastKv } from './past-kv.ts';

export class ConcatKv implements PastKv {
  length = 0;
  private past: ort.Tensor[]; // [layer0.key, layer0.value, layer1.key, …], each [1, kvHeads, pastLen, headDim]
  /** Tokens the past tensors hold; > length after a truncate until the next run compacts them (in place). */
  private pastLen = 0;

  constructor(
    private readonly io: IoMap,
    private readonly t: Int64Tables,
  ) {
    this.past = [];
    for (let i = 0; i < io.layout.numLayers * 2; i++) this.past.push(kvTensor(io.layout, newKv(io.layout, 0), 0));
  }

  feed(f: Record<string, ort.Tensor>, n: number): void {
    const { io } = this;
    this.compact();
    const total = this.length + n;
    this.t.ensure(total);
    if (io.attentionMask) f[io.attentionMask] = new ort.Tensor('int64', this.t.ones.subarray(0, total), [1, total]);
    for (let l = 0; l < io.layout.numLayers; l++) {
      f[io.pastKey[l]!] = this.past[2 * l]!;
      f[io.pastValue[l]!] = this.past[2 * l + 1]!;
    }
  }

  take(out: ort.InferenceSession.ReturnType, n: number): void {
    const { io } = this;
    for (let l = 0; l < io.layout.numLayers; l++) {
      this.past[2 * l] = out[io.presentKey[l]!]!;
      this.past[2 * l + 1] = out[io.presentValue[l]!]!;
    }
    this.length += n;
    this.pastLen = this.length;
  }

  truncate(n: number): void {
    this.length = n;
  }

  /**
   * Make the past tensors exactly `length` long for the next run. ORT needs contiguous [1, H, T, D] inputs and
   * each head's rows are contiguous, so this moves heads 1..H-1 down in place (a memmove of the kept data, no
   * allocation) and re-wraps the same memory: several truncations before a run cost one move.
   */
  private compact(): void {
    const T = this.pastLen;
    const n = this.length;
    if (T === n) return;
    const { layout } = this.io;
    const { numKvHeads: H, headDim: D } = layout;
    this.past = this.past.map((t) => {
      const data = kvData(layout, t);
      for (let h = 1; h < H; h++) data.copyWithin(h * n * D, h * T * D, (h * T + n) * D);
      return kvTensor(layout, data.subarray(0, H * n * D), n);
    });
    this.pastLen = n;
  }

  read(start: number, end: number): KvSlice['layers'] {
    const { layout } = this.io;
    return readRows(layout, (i) => kvData(layout, this.past[i]!), this.pastLen, start, end);
  }

  load(slices: readonly KvSlice[], total: number): void {
    const { layout } = this.io;
    const past: ort.Tensor[] = [];
    for (let l = 0; l < layout.numLayers; l++)
      for (const which of ['key', 'value'] as const) {
        // One slice already is the [1, H, total, D] tensor (its buffer arrived here moved or cloned, so it is
        // this worker's own): wrap it. Otherwise assemble each layer once, straight from the slices.
        const only = slices.length === 1 ? slices[0]!.layers[l]![which] : null;
        let dst: KvArray;
        if (only) dst = only;
        else {
          dst = newKv(layout, total);
          for (const s of slices)
            copyRows(layout, s.layers[l]![which], s.tokens.length, 0, s.tokens.length, dst, total, s.start);
        }
        past.push(kvTensor(layout, dst, total));
      }
    this.past = past;
    this.length = total;
    this.pastLen = total;
  }

  rowViews(start: number, end: number): Uint8Array[] {
    const { layout } = this.io;
    return headRowViews(
      layout,
      this.past.map((t) => kvData(layout, t)),
      this.pastLen,
      start,
      end,
    );
  }

  prepare(total: number): void {
    const { layout } = this.io;
    this.past = Array.from({ length: layout.numLayers * 2 }, () => kvTensor(layout, newKv(layout, total), total));
    this.pastLen = total;
    this.length = 0;
  }

  hold(n: number): void {
    this.length = n; // the next feed compacts the tensors to n
  }
}
