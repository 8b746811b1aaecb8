// One token sequence and its KV cache (worker side). The token log is the truth (DESIGN.md invariant 1):
// tokens[0, kvLen) have K/V in the cache; tokens[kvLen, …) are pending (appended or sampled, not yet run).
import * as ort from 'onnxruntime-node';
import { EngineError } from './errors.ts';
import { ConcatKv } from './concat-kv.ts';
import { float16Bits, halfToFloat32 } from './fp16.ts';
import type { KvSlice } from '../tensor/kv-types.ts';
import { sameLayout } from '../tensor/kv-types.ts';
import type { LoadedModel } from './model.ts';
import { type KvRowFile, type RowFilesLoaded, checkRowFiles, readRowFiles, writeRowFiles } from './kv-files.ts';
import { Int64Tables, type PastKv } from './past-kv.ts';
import { SlotKv } from './slot-kv.ts';

export interface FlushOptions {
  chunkSize?: number;
  onProgress?: (done: number, total: number) => void;
  cancelled?: () => boolean;
}

export const DEFAULT_CHUNK = 256;

export class CancelledError extends EngineError {
  constructor() {
    super({ code: 'cancelled', title: 'Cancelled', cause: 'The operation was cancelled.', suggestion: '' });
  }
}

const tables = new WeakMap<LoadedModel, Int64Tables>();

export class Sequence {
  tokens: number[] = [];
  kvLen = 0;
  /** Logits after token kvLen-1, when valid. */
  logits: Float32Array;
  logitsValid = false;
  private readonly past: PastKv;
  private readonly feeds: Record<string, ort.Tensor> = {};
  private readonly one = new BigInt64Array(1);
  private readonly t: Int64Tables;

  constructor(private readonly m: LoadedModel) {
    this.logits = new Float32Array(m.config.vocabSize);
    let t = tables.get(m);
    if (!t) tables.set(m, (t = new Int64Tables()));
    this.t = t;
    this.past = m.info.kvMode === 'inPlace' ? new SlotKv(m.io, m.info.contextLength) : new ConcatKv(m.io, t);
  }

  get contextLength(): number {
    return this.m.info.contextLength;
  }

  /** Run the model on tokens[kvLen, kvLen + n). Only the last position's logits are kept. */
  private async run(n: number): Promise<void> {
    const { io } = this.m;
    const start = this.kvLen;
    const total = start + n;
    if (total > this.contextLength)
      throw new EngineError({
        code: 'contextFull',
        title: 'Context full',
        cause: `${total} tokens exceed the context length ${this.contextLength}.`,
        suggestion: 'Start a new conversation or shorten it.',
      });
    this.t.ensure(total);
    if (this.past.length !== start) this.past.truncate(start);
    const f = this.feeds;
    let ids: BigInt64Array;
    if (n === 1) {
      this.one[0] = BigInt(this.tokens[start]!);
      ids = this.one;
    } else {
      ids = new BigInt64Array(n);
      for (let i = 0; i < n; i++) ids[i] = BigInt(this.tokens[start + i]!);
    }
    f[io.inputIds] = new ort.Tensor('int64', ids, [1, n]);
    if (io.positionIds) f[io.positionIds] = new ort.Tensor('int64', this.t.arange.subarray(start, total), [1, n]);
    this.past.feed(f, n);
    const out = await this.m.session.run(f);
    this.past.take(out, n);
    const lg = out[io.logits]!;
    const V = lg.dims[2]!; // the graph's vocab width (may be padded beyond config.json's)
    const offset = (lg.dims[1]! - 1) * V;
    const rows = lg.dims[1]!;
    if (lg.type === 'float16') {
      if (this.logits.length !== V) this.logits = new Float32Array(V);
      halfToFloat32(float16Bits(lg.data), offset, this.logits);
    } else if (rows === 1 && (lg.data as Float32Array).length === V)
      this.logits = lg.data as Float32Array; // decode: no copy
    else this.logits = (lg.data as Float32Array).slice(offset, offset + V);
    this.kvLen = total;
    this.logitsValid = true;
  }

  /** Run every pending token, in chunks (chunked prefill bounds peak memory and lets progress/cancel through). */
  async flush(o: FlushOptions = {}): Promise<void> {
    const chunk = Math.max(1, o.chunkSize ?? DEFAULT_CHUNK);
    const total = this.tokens.length - this.kvLen;
    let done = 0;
    while (this.kvLen < this.tokens.length) {
      if (o.cancelled?.()) {
        this.tokens.length = this.kvLen; // keep what was computed; drop the rest
        throw new CancelledError();
      }
      const n = Math.min(chunk, this.tokens.length - this.kvLen);
      await this.run(n);
      done += n;
      o.onProgress?.(done, total);
    }
  }

  private checkIds(ids: readonly number[]): void {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.m.config.vocabSize)
        throw new EngineError({
          code: 'badArgument',
          title: 'Invalid token id',
          cause: `${id} is outside the vocabulary [0, ${this.m.config.vocabSize}).`,
          suggestion: 'Token ids must come from this model’s tokenizer.',
        });
    }
  }

  append(ids: readonly number[]): void {
    this.checkIds(ids);
    if (this.tokens.length + ids.length > this.contextLength)
      throw new EngineError({
        code: 'contextFull',
        title: 'Context full',
        cause: `${this.tokens.length + ids.length} tokens exceed the context length ${this.contextLength}.`,
        suggestion: 'Start a new conversation or shorten it.',
      });
    for (const id of ids) this.tokens.push(id);
  }

  /** Decode step: run the one token sampled since the last run (the hot path; no chunk bookkeeping). */
  async advance(): Promise<void> {
    if (this.tokens.length !== this.kvLen + 1) return this.flush();
    await this.run(1);
  }

  /** Make `logits` describe the next-token distribution after the whole log. */
  async ensureLogits(o: FlushOptions = {}): Promise<void> {
    if (this.kvLen < this.tokens.length) return this.flush(o);
    if (this.logitsValid) return;
    if (this.kvLen === 0)
      throw new EngineError({
        code: 'badArgument',
        title: 'Empty sequence',
        cause: 'There are no tokens to predict from.',
        suggestion: 'Append a prompt first.',
      });
    // After a restore or rewind the last logits are unknown: recompute the last token (one step).
    this.truncateKv(this.kvLen - 1);
    await this.run(1);
  }

  /** The sequence is dropped: its past K/V buffers go back to the worker's pool. */
  release(): void {
    this.past.release?.();
  }

  /** Drop K/V past n: O(1) (the cache forgets lazily, see PastKv.truncate). */
  private truncateKv(n: number): void {
    this.kvLen = n;
    this.past.truncate(n);
    this.logitsValid = false;
  }

  rewindTo(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.tokens.length)
      throw new EngineError({
        code: 'badArgument',
        title: 'Invalid rewind',
        cause: `rewindTo(${n}) with ${this.tokens.length} tokens.`,
        suggestion: 'Rewind to a length between 0 and tokenCount.',
      });
    this.tokens.length = n;
    if (this.kvLen > n) this.truncateKv(n);
    else if (this.kvLen < n) this.logitsValid = false;
  }

  /** Copy K/V of [start, end): costs O(end - start), not O(history). */
  async exportKv(start: number, end: number): Promise<KvSlice> {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > this.tokens.length)
      throw new EngineError({
        code: 'badArgument',
        title: 'Invalid KV range',
        cause: `exportKv(${start}, ${end}) with ${this.tokens.length} tokens.`,
        suggestion: 'Use 0 <= start <= end <= tokenCount.',
      });
    if (end > this.kvLen) await this.flush();
    const layers = this.past.read(start, end);
    return { layout: { ...this.m.io.layout }, start, tokens: this.tokens.slice(start, end), layers };
  }

  /** Replace the state with contiguous slices starting at 0. */
  restoreKv(slices: readonly KvSlice[]): void {
    const layout = this.m.io.layout;
    const { numKvHeads: H, headDim: D, numLayers } = layout;
    let total = 0;
    for (const s of slices) {
      const bad = (cause: string): never => {
        throw new EngineError({
          code: 'kvMismatch',
          title: 'KV snapshot does not fit this model',
          cause,
          suggestion: 'Drop the snapshot and prefill the conversation again.',
        });
      };
      if (!sameLayout(s.layout, layout))
        bad(`layout ${JSON.stringify(s.layout)} differs from the model's ${JSON.stringify(layout)}`);
      if (s.start !== total) bad(`slice starts at ${s.start}, expected ${total} (slices must be contiguous from 0)`);
      if (s.layers.length !== numLayers) bad(`slice has ${s.layers.length} layers, model has ${numLayers}`);
      const want = H * s.tokens.length * D;
      const Arr = layout.dtype === 'float16' ? Uint16Array : Float32Array;
      for (const { key, value } of s.layers)
        if (!(key instanceof Arr) || !(value instanceof Arr) || key.length !== want || value.length !== want)
          bad(`slice at ${s.start}: K/V arrays must be ${Arr.name} of length ${want}`);
      total += s.tokens.length;
    }
    if (total > this.contextLength)
      throw new EngineError({
        code: 'contextFull',
        title: 'Context full',
        cause: `restored ${total} tokens exceed the context length ${this.contextLength}.`,
        suggestion: 'Use a model with a longer context.',
      });
    this.past.load(slices, total);
    this.tokens = slices.flatMap((s) => s.tokens);
    this.kvLen = total;
    this.logitsValid = false;
  }

  /**
   * Replace the state with rows read from files (kv-files.ts), contiguous from 0; `tokens` are their ids.
   * The state becomes the verified prefix: rows [0, loaded) and their tokens.
   */
  async loadRowFiles(files: readonly KvRowFile[], tokens: readonly number[]): Promise<RowFilesLoaded> {
    const total = checkRowFiles(files, this.contextLength, true);
    if (tokens.length !== total)
      throw new EngineError({
        code: 'badArgument',
        title: 'Invalid K/V file request',
        cause: `${tokens.length} token ids for ${total} rows`,
        suggestion: '',
      });
    this.checkIds(tokens);
    this.past.prepare(total);
    const r = await readRowFiles(this.m.io.layout, files, (a, b) => this.past.rowViews(a, b));
    this.past.hold(r.loaded);
    this.tokens = tokens.slice(0, r.loaded);
    this.kvLen = r.loaded;
    this.logitsValid = false;
    return r;
  }

  /** Write rows of the cache to files (kv-files.ts); pending tokens in the range are run first. */
  async saveRowFiles(files: readonly KvRowFile[]): Promise<number[]> {
    const hi = checkRowFiles(files, this.contextLength, false);
    if (hi > this.tokens.length)
      throw new EngineError({
        code: 'badArgument',
        title: 'Invalid K/V file request',
        cause: `rows up to ${hi} with ${this.tokens.length} tokens`,
        suggestion: '',
      });
    if (hi > this.kvLen) await this.flush();
    return writeRowFiles(files, (a, b) => this.past.rowViews(a, b));
  }
}
