// Main-thread API. Everything heavy runs in the engine worker; this side keeps an exact mirror of each
// generator's token log so `tokens` / `tokenCount` are synchronous.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChatDelta } from './chat-delta.ts';
import { EngineError } from './errors.ts';
import type { GenerateOptions, GenerationResult } from './generation.ts';
import type { KvRowFile, RowFilesLoaded } from './kv-files.ts';
import type { KvSlice } from '../tensor/kv-types.ts';
import type { LoadOptions, ModelInfo } from './model.ts';
import { Prediction, type Fragment } from './prediction.ts';
import {
  CANCEL_SLOTS,
  type FromWorker,
  type Request,
  type Results,
  type ToWorker,
  type WorkerData,
} from './protocol.ts';
import { GREEDY, type SamplingOptions } from './sampling/options.ts';
import type { ChatMessage } from './tokenizer.ts';

export interface EngineOptions extends LoadOptions {
  /**
   * Worker entry file. Default: worker.ts / worker.js next to this module. A bundler (the Electron build)
   * passes the path of its own built worker file.
   */
  workerPath?: string | URL;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  onEvent?: ((m: FromWorker) => void) | undefined;
  onCount?: ((n: number) => void) | undefined;
}

/** worker.js next to this module when built, else worker.ts (running from source under tsx). */
function defaultWorkerPath(): URL {
  const js = new URL('./worker.js', import.meta.url);
  return existsSync(fileURLToPath(js)) ? js : new URL('./worker.ts', import.meta.url);
}

/**
 * Node 20 workers do not inherit `--import tsx` loader hooks, so a .ts worker starts from a tiny bootstrap
 * that registers tsx first (dev and tests only; the built app passes a .js worker).
 */
function spawnWorker(path: string | URL, workerData: WorkerData): Worker {
  const href = path instanceof URL ? path.href : pathToFileURL(path).href;
  if (!/\.[mc]?ts$/.test(href)) return new Worker(new URL(href), { workerData });
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

export class Engine {
  private readonly pending = new Map<number, Pending>();
  private readonly flags: Int32Array;
  private nextId = 1;
  private dead: EngineError | null = null;
  info!: ModelInfo;

  private constructor(
    private readonly worker: Worker,
    cancelFlags: SharedArrayBuffer,
  ) {
    this.flags = new Int32Array(cancelFlags);
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (e) => this.fail(`the engine worker crashed: ${e.message}`));
    worker.on('exit', (code) => this.fail(`the engine worker exited (code ${code})`));
  }

  static async load(dir: string, opts: EngineOptions = {}): Promise<Engine> {
    const { workerPath, ...loadOpts } = opts;
    const cancelFlags = new SharedArrayBuffer(4 * CANCEL_SLOTS);
    const data: WorkerData = { cancelFlags };
    const worker = spawnWorker(workerPath ?? defaultWorkerPath(), data);
    const engine = new Engine(worker, cancelFlags);
    try {
      engine.info = await engine.call({ op: 'load', dir, opts: loadOpts });
    } catch (e) {
      await engine.dispose();
      throw e;
    }
    return engine;
  }

  private fail(cause: string): void {
    if (this.dead) return;
    this.dead = new EngineError({
      code: 'workerFailed',
      title: 'Inference engine stopped',
      cause,
      suggestion: 'Reload the model.',
    });
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
  }

  private onMessage(m: FromWorker): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'result' || m.type === 'error') {
      this.pending.delete(m.id);
      if (m.tokenCount !== undefined) p.onCount?.(m.tokenCount);
      if (m.type === 'result') p.resolve(m.result);
      else p.reject(new EngineError(m.error));
    } else p.onEvent?.(m);
  }

  /** @internal */
  call<R extends Request>(
    req: R,
    o: {
      signal?: AbortSignal | undefined;
      onEvent?: (m: FromWorker) => void;
      onCount?: (n: number) => void;
      cancelRef?: (cancel: () => void) => void;
      /** Buffers to move to the worker instead of cloning (they are detached here afterwards). */
      transfer?: ArrayBuffer[];
    } = {},
  ): Promise<Results[R['op']]> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const slot = id % CANCEL_SLOTS;
    Atomics.store(this.flags, slot, 0);
    const cancel = (): void => void Atomics.store(this.flags, slot, 1);
    o.cancelRef?.(cancel);
    if (o.signal?.aborted) cancel();
    o.signal?.addEventListener('abort', cancel, { once: true });
    return new Promise<Results[R['op']]>((resolve, reject) => {
      const done = (): void => o.signal?.removeEventListener('abort', cancel);
      this.pending.set(id, {
        resolve: (v) => (done(), resolve(v as Results[R['op']])),
        reject: (e) => (done(), reject(e)),
        onEvent: o.onEvent,
        onCount: o.onCount,
      });
      const msg: ToWorker = { id, slot, req };
      this.worker.postMessage(msg, o.transfer ?? []);
    });
  }

  async createGenerator(): Promise<Generator> {
    return new Generator(this, await this.call({ op: 'newSeq' }));
  }

  tokenize(text: string, opts: { special?: boolean } = {}): Promise<number[]> {
    return this.call({ op: 'tokenize', text, special: opts.special ?? false });
  }

  detokenize(ids: readonly number[], opts: { skipSpecial?: boolean } = {}): Promise<string> {
    return this.call({ op: 'detokenize', ids: [...ids], skipSpecial: opts.skipSpecial ?? true });
  }

  renderChat(messages: readonly ChatMessage[], opts: { addGenerationPrompt?: boolean } = {}): Promise<string> {
    return this.call({
      op: 'renderChat',
      messages: [...messages],
      addGenerationPrompt: opts.addGenerationPrompt ?? true,
    });
  }

  /** Invariant 1: the ids to append (after rewinding to `keep`) for a new turn, given the exact token log. */
  chatDelta(messages: readonly ChatMessage[], log: readonly number[]): Promise<ChatDelta> {
    return this.call({ op: 'chatDelta', messages: [...messages], log: [...log] });
  }

  async dispose(): Promise<void> {
    this.fail('the engine was disposed');
    await this.worker.terminate();
  }
}

export interface AppendOptions {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Prefill chunk size in tokens (default 256). */
  chunkSize?: number;
}

export interface PredictOptions extends GenerateOptions {
  signal?: AbortSignal;
  onFragment?: (f: Fragment) => void;
}

/**
 * The distinct ArrayBuffers behind `arrays` that may be moved: only those an array spans completely (a view
 * into a larger buffer, e.g. Node's Buffer pool, would detach memory that is not ours to give), never shared.
 */
function transferable(arrays: readonly ArrayBufferView[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) {
    const b = a.buffer;
    // (a detached buffer has byteLength 0: listing one would make postMessage drop the message)
    if (b instanceof ArrayBuffer && b.byteLength > 0 && a.byteOffset === 0 && a.byteLength === b.byteLength) out.add(b);
  }
  return [...out];
}

/** One token sequence with its KV cache, in the spirit of onnxruntime-genai's Generator. */
export class Generator {
  private log: number[] = [];
  private disposed = false;

  /** @internal */
  constructor(
    private readonly engine: Engine,
    private readonly seq: number,
  ) {}

  /** The exact token log (what the cache belongs to). */
  get tokens(): readonly number[] {
    return this.log;
  }

  get tokenCount(): number {
    return this.log.length;
  }

  private sync = (n: number): void => {
    if (n < this.log.length) this.log.length = n;
  };

  /** Append ids and prefill them now (chunked, with progress). Cancel rejects with code 'cancelled'; the computed part stays. */
  async appendTokens(ids: readonly number[], o: AppendOptions = {}): Promise<void> {
    const list = [...ids];
    this.log.push(...list);
    await this.engine.call(
      { op: 'append', seq: this.seq, ids: list, chunkSize: o.chunkSize, progress: !!o.onProgress },
      {
        signal: o.signal,
        onCount: this.sync,
        onEvent: (m) => m.type === 'progress' && o.onProgress?.(m.done, m.total),
      },
    );
  }

  /** Apply a chat turn (invariant 1): rewind if the template forces it, append the delta. */
  async appendChatTurn(messages: readonly ChatMessage[], o: AppendOptions = {}): Promise<ChatDelta> {
    const d = await this.engine.chatDelta(messages, this.log);
    if (d.keep < this.log.length) await this.rewindTo(d.keep);
    await this.appendTokens(d.append, o);
    return d;
  }

  /** Sample one token from the current logits and append it to the log (its forward pass runs lazily). */
  async generateNextToken(sampling: SamplingOptions = GREEDY): Promise<number> {
    const id = await this.engine.call({ op: 'next', seq: this.seq, sampling }, { onCount: this.sync });
    this.log.push(id);
    return id;
  }

  /** Stream a reply. `await` it for the result, or `for await` over it for text fragments. */
  generate(o: PredictOptions = {}): Prediction {
    const { signal, onFragment, ...opts } = o;
    let cancel = (): void => {};
    return new Prediction(
      (push) =>
        this.engine.call<Extract<Request, { op: 'generate' }>>(
          { op: 'generate', seq: this.seq, opts },
          {
            signal,
            cancelRef: (c) => (cancel = c),
            onCount: this.sync,
            onEvent: (m) => {
              if (m.type !== 'tokens') return;
              // the log mirror first: a throwing onFragment must not leave it short of the worker's
              for (const e of m.events) if (e.tokenId !== null) this.log.push(e.tokenId);
              for (const e of m.events) {
                const f: Fragment = { text: e.text, tokenId: e.tokenId };
                onFragment?.(f);
                push(f);
              }
            },
          },
        ) as Promise<GenerationResult>,
      () => cancel(),
    );
  }

  async rewindTo(n: number): Promise<void> {
    await this.engine.call({ op: 'rewind', seq: this.seq, n }, { onCount: this.sync });
  }

  /** Next-token logits after the whole log (runs pending tokens first). A copy. */
  lastLogits(): Promise<Float32Array> {
    return this.engine.call({ op: 'logits', seq: this.seq }, { onCount: this.sync });
  }

  /** K/V and ids of [start, end); copies only that range. */
  exportKv(start = 0, end = this.log.length): Promise<KvSlice> {
    return this.engine.call({ op: 'exportKv', seq: this.seq, start, end });
  }

  /**
   * Replace the state with contiguous slices from position 0 (token log = their tokens).
   * With `transfer`, the slices' K/V buffers are moved to the engine worker instead of cloned (no copy of
   * the cache; every array that spans its whole ArrayBuffer is detached afterwards, whatever the outcome).
   * A single slice from 0 is then used by the worker as the cache itself.
   */
  async restoreKv(slices: readonly KvSlice[], o: { transfer?: boolean } = {}): Promise<void> {
    const tokens = slices.flatMap((s) => s.tokens);
    await this.engine.call(
      { op: 'restoreKv', seq: this.seq, slices: [...slices] },
      o.transfer ? { transfer: transferable(slices.flatMap((s) => s.layers.flatMap((l) => [l.key, l.value]))) } : {},
    );
    this.log = tokens;
  }

  /**
   * Replace the state with K/V rows read from files (kv-files.ts: the files tile [0, tokens.length) in
   * order). The state becomes the verified prefix; the first bad file and why are returned.
   */
  async loadKvFiles(files: readonly KvRowFile[], tokens: readonly number[]): Promise<RowFilesLoaded> {
    const r = await this.engine.call({ op: 'loadKvFiles', seq: this.seq, files: [...files], tokens: [...tokens] });
    this.log = tokens.slice(0, r.loaded);
    return r;
  }

  /** Write K/V rows of the cache to files (kv-files.ts), each complete before it appears; returns their sizes. */
  saveKvFiles(files: readonly KvRowFile[]): Promise<number[]> {
    return this.engine.call({ op: 'saveKvFiles', seq: this.seq, files: [...files] }, { onCount: this.sync });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.engine.call({ op: 'dropSeq', seq: this.seq }).catch(() => {});
  }
}
