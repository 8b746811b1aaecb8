// Past K/V in engine-owned buffers that ORT reads in place, for graphs rewritten by new-kv-graph.ts to output
// only the new tokens' K/V. Per layer, key and value each live in one array laid out [H, slots, D]; the
// graph gets that whole array as its past (onnxruntime-node wraps input arrays without copying) and an
// attention mask of ones for the `length` held tokens and zeros for the spare slots, so a step copies only
// its new rows: no O(context) copy or garbage per token.
//
// Slots grow in pages (at most PAGE - 1 spare slots are attended to and masked out); growing moves each
// head's rows to the new stride in place, or into an array twice as large, so it is amortised O(1) per token.
import * as ort from 'onnxruntime-node';
import type { IoMap } from './io-map.ts';
import type { KvArray, KvSlice } from '../tensor/kv-types.ts';
import { giveKv, takeKv } from './kv-pool.ts';
import { copyRows, headRowViews, kvData, kvTensor, readRows, type PastKv } from './past-kv.ts';

export const PAGE = 64;

export class SlotKv implements PastKv {
  length = 0;
  /** Token slots per head in the arrays the graph reads. */
  private slots = 0;
  /** Token capacity per head of the backing arrays. */
  private capacity = 0;
  private data: KvArray[] = []; // [layer0.key, layer0.value, layer1.key, …]
  private views: ort.Tensor[] = [];
  private mask = new BigInt64Array(0);

  constructor(
    private readonly io: IoMap,
    private readonly contextLength: number,
  ) {
    this.resize(0);
  }

  /**
   * Room for `tokens` tokens (slots rounded up to a page, capped at the context length); with `zero` false,
   * arrays newly taken from the pool are not zeroed (see prepare). True when the arrays were replaced.
   */
  private reserve(tokens: number, zero = true): boolean {
    if (tokens <= this.slots && this.views.length) return false;
    return this.resize(Math.max(tokens, Math.min(this.contextLength, Math.ceil(tokens / PAGE) * PAGE)), zero);
  }

  /** True when the arrays were replaced. */
  private resize(slots: number, zero = true): boolean {
    const { layout } = this.io;
    const { numKvHeads: H, headDim: D } = layout;
    const n = this.length;
    if (slots > this.capacity || !this.data.length) {
      const want = Math.max(slots, Math.min(this.contextLength, this.capacity * 2));
      const old = this.data;
      this.data = Array.from({ length: layout.numLayers * 2 }, (_, i) => {
        const next = takeKv(layout, want, zero);
        if (old[i] && n) copyRows(layout, old[i], this.slots, 0, n, next, slots, 0);
        return next;
      });
      // a pooled array may be longer than asked for: use all of it
      this.capacity = Math.floor(Math.min(...this.data.map((a) => a.length)) / (H * D));
      giveKv(old);
      this.slots = slots;
      this.views = this.data.map((a) => kvTensor(layout, a.subarray(0, H * slots * D), slots));
      return true;
    }
    if (slots !== this.slots) {
      // Same array, wider stride: move heads last to first so no head overwrites one not yet moved. The
      // slots that come into view are zeroed: past the old view they may hold what a load left unzeroed
      // (prepare), and a masked slot must hold nothing non-finite.
      for (const a of this.data) {
        for (let h = H - 1; h >= 1; h--) a.copyWithin(h * slots * D, h * this.slots * D, (h * this.slots + n) * D);
        for (let h = 0; h < H; h++) a.fill(0, (h * slots + n) * D, (h + 1) * slots * D);
      }
    }
    this.slots = slots;
    this.views = this.data.map((a) => kvTensor(layout, a.subarray(0, H * slots * D), slots));
    return false;
  }

  feed(f: Record<string, ort.Tensor>, n: number): void {
    const { io } = this;
    this.reserve(this.length + n);
    const S = this.slots;
    // [held tokens | spare slots | the n new tokens] (the graph appends the new K/V after the past it is fed).
    if (this.mask.length < S + n) this.mask = new BigInt64Array(Math.max(S + n, this.mask.length * 2));
    const m = this.mask.subarray(0, S + n);
    m.fill(1n, 0, this.length);
    m.fill(0n, this.length, S);
    m.fill(1n, S, S + n);
    f[io.attentionMask!] = new ort.Tensor('int64', m, [1, S + n]);
    for (let l = 0; l < io.layout.numLayers; l++) {
      f[io.pastKey[l]!] = this.views[2 * l]!;
      f[io.pastValue[l]!] = this.views[2 * l + 1]!;
    }
  }

  take(out: ort.InferenceSession.ReturnType, n: number): void {
    const { io } = this;
    const { layout } = io;
    // reserve() in feed made room: the new rows go to slots [length, length + n) of each head.
    for (let l = 0; l < layout.numLayers; l++) {
      copyRows(layout, kvData(layout, out[io.presentKey[l]!]!), n, 0, n, this.data[2 * l]!, this.slots, this.length);
      copyRows(
        layout,
        kvData(layout, out[io.presentValue[l]!]!),
        n,
        0,
        n,
        this.data[2 * l + 1]!,
        this.slots,
        this.length,
      );
    }
    this.length += n;
  }

  truncate(n: number): void {
    this.length = n;
  }

  read(start: number, end: number): KvSlice['layers'] {
    const { layout } = this.io;
    return readRows(layout, (i) => this.data[i]!, this.slots, start, end);
  }

  /** The sequence is gone: its arrays go back to the pool. */
  release(): void {
    giveKv(this.data);
    this.data = [];
    this.views = [];
    this.length = this.slots = this.capacity = 0;
  }

  load(slices: readonly KvSlice[], total: number): void {
    const { layout } = this.io;
    this.length = 0; // nothing to keep when the arrays move
    this.reserve(total);
    for (let l = 0; l < layout.numLayers; l++)
      for (const [i, which] of [
        [0, 'key'],
        [1, 'value'],
      ] as const)
        for (const s of slices)
          copyRows(
            layout,
            s.layers[l]![which],
            s.tokens.length,
            0,
            s.tokens.length,
            this.data[2 * l + i]!,
            this.slots,
            s.start,
          );
    this.length = total;
  }

  rowViews(start: number, end: number): Uint8Array[] {
    return headRowViews(this.io.layout, this.data, this.slots, start, end);
  }

  prepare(total: number): void {
    this.length = 0; // nothing to keep when the arrays move
    // Arrays the pool hands to a load are not zeroed whole (50 MB for a 2k-token history, ~5 ms; twice that
    // in a pooled array of twice the capacity): the load writes rows [0, total) of every head, or zeroes them
    // where a file fails; the view's spare slots are zeroed here, and the rest when it comes into view (resize).
    if (!this.reserve(total, false)) return;
    const { numKvHeads: H, headDim: D } = this.io.layout;
    for (const a of this.data)
      for (let h = 0; h < H; h++) a.fill(0, (h * this.slots + total) * D, (h + 1) * this.slots * D);
  }

  hold(n: number): void {
    this.length = n;
  }
}
