// The engine session: the one owner of what the engine holds. It keeps the live generator, remembers what
// its state came from, serializes every use of it (chat turns, warm-ups, API requests) behind one lock, and
// offers one operation: given a token log, make the engine hold its longest available prefix (the live
// state, then stored blocks), prefill the rest, and report what it did.
import type { Engine, Generator } from '../engine/index.ts';
import type { KvContext, KvLogger } from '../kv/context.ts';
import { TokenChain } from '../kv/token-chain.ts';
import type { Store } from '../store/store.ts';
import { AppError } from '../../shared/errors.ts';
import type { RestoreSource } from '../../shared/vocabulary.ts';
import { restorePrefix } from './prefix-restore.ts';

export interface PrefixOptions {
  /** Who the log belongs to (a conversation id; null for requests that are not conversations). */
  owner: string | null;
  /** At most this many tokens are restored (a turn keeps the last token to run for its logits). */
  maxTokens: number;
  /** Log positions where a partial tail block may have been stored. */
  tailEnds: number[];
  /**
   * 'warm': only restore, ahead of the owner's next turn, and remember that the state came from the store
   * (that turn then reports 'opened'). 'run': restore, then prefill the rest of the log.
   */
  purpose: 'warm' | 'run';
  signal?: AbortSignal;
  onPrefill?: (done: number, total: number) => void;
}

export interface PrefixReport {
  /** Tokens of the log that were not read by the model now: restored from blocks or already held. */
  restored: number;
  /** A warm-up reports only 'store', 'live' or 'none'; 'opened' is a later run's word for what it read. */
  source: RestoreSource;
  /** This call's restore time; for 'opened', the warm-up's (not part of this call). */
  restoreMs: number;
  prefilled: number;
  prefillMs: number;
}

export class EngineSession {
  private eng: Engine | null;
  private gen: Generator | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  /** The engine's state was restored from this owner's blocks by a warm-up, and nothing ran since. */
  private opened: { owner: string; ms: number } | null = null;

  constructor(
    private readonly store: Store,
    private readonly logger: KvLogger,
    engine: Engine | null = null,
  ) {
    this.eng = engine;
  }

  get engine(): Engine | null {
    return this.eng;
  }

  /** Runs `fn` alone: one model, one sequence. Queued calls run in order; a failure does not block the queue. */
  withLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  /** Swaps the model (the caller owns engines). The live generator belongs to the old one and goes. */
  setEngine(engine: Engine | null): Promise<void> {
    return this.withLock(async () => {
      await this.drop();
      this.eng = engine;
    });
  }

  /** The engine, or a clear error. */
  requireEngine(): Engine {
    if (!this.eng) throw new AppError({ code: 'noModel', title: 'No model loaded', suggestion: 'Open a model first.' });
    return this.eng;
  }

  /** The live generator (created on first use). Call inside withLock. */
  async generator(): Promise<Generator> {
    this.gen ??= await this.requireEngine().createGenerator();
    return this.gen;
  }

  /** Forgets the engine's state: after a failure it may be half-way through something. */
  async drop(): Promise<void> {
    const g = this.gen;
    this.gen = null;
    this.opened = null;
    await g?.dispose().catch(() => {});
  }

  /**
   * Call inside withLock. After a 'run' the engine holds exactly the log's first `restored + prefilled`
   * tokens; after a 'warm' it holds at least the first `restored`. Pass the caller's TokenChain to reuse
   * its hashes for the saves that follow.
   */
  async ensurePrefix(log: number[] | TokenChain, ctx: KvContext, o: PrefixOptions): Promise<PrefixReport> {
    const gen = await this.generator();
    const t0 = performance.now();
    const chain = TokenChain.of(log, ctx);
    const r = await restorePrefix(gen, chain, ctx, this.store, {
      maxTokens: o.maxTokens,
      tailEnds: o.tailEnds,
      logger: this.logger,
    });
    let source: RestoreSource = r.source;
    let restoreMs = performance.now() - t0;
    if (o.purpose === 'warm') {
      restoreMs = Math.round(restoreMs);
      // a warm-up that found the live state or nothing leaves what an earlier warm-up read alone
      // and keeps whatever the engine holds beyond the prefix: clicking through chats that share it loses nothing
      if (r.source === 'store' && o.owner) this.opened = { owner: o.owner, ms: restoreMs };
      return { restored: r.restored, source, restoreMs, prefilled: 0, prefillMs: 0 };
    }
    // what the engine held was read from the store when the owner was opened: say so, with that time
    if (gen.tokenCount > r.restored) await gen.rewindTo(r.restored);
    const opened = this.opened;
    this.opened = null; // after this run the engine holds what the run leaves
    if (r.source === 'live' && opened && opened.owner === o.owner) {
      source = 'opened';
      restoreMs = opened.ms;
    }
    const delta = chain.log.slice(r.restored);
    const tP = performance.now();
    try {
      await gen.appendTokens(delta, { signal: o.signal, onProgress: o.onPrefill });
    } catch (err) {
      if ((err as { code?: string }).code === 'cancelled')
        throw new AppError({
          code: 'cancelled',
          title: 'Stopped',
          cause: 'the turn was cancelled while reading the message',
        });
      throw err;
    }
    return { restored: r.restored, source, restoreMs, prefilled: delta.length, prefillMs: performance.now() - tP };
  }
}
