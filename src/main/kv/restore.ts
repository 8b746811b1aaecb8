// Resume: walk the hash chain of a token log and restore the longest valid prefix. Anything wrong
// (missing block, checksum mismatch, other model/dtype/codec) stops the walk there; the caller
// prefills the rest. Never throws for bad data: wrong output and crashes are both worse than a prefill.
import type { KvRowFile, RowFilesLoaded } from '../engine/index.ts';
import type { KvSlice } from '../tensor/kv-types.ts';
import { BlockError, decodeBlockInto, rawBlockBytes, rawBlockPrefix } from './block-format.ts';
import type { BlockFileInfo, BlockSource } from './ports.ts';
import { type KvTarget, newTarget, subSlice } from './codec/tensors.ts';
import type { KvContext, KvLogger } from './context.ts';
import type { BlockHash, ChainBlock } from './hash.ts';
import { TokenChain } from './token-chain.ts';

export interface RestorePlan {
  /**
   * The restored prefix [0, restoredTokens) as one slice (one [numKvHeads, restoredTokens, headDim] array per
   * layer and K/V, every block decoded straight into it), or null when nothing is restored. Pass it to
   * Generator.restoreKv, which hands its buffers over to the engine worker without copying.
   */
  kv: KvSlice | null;
  /** The same prefix cut at block boundaries (copies, made on first access: for tests and inspection). */
  readonly slices: KvSlice[];
  restoredTokens: number;
  /** Blocks used (to mark recently used). */
  used: BlockHash[];
  /** Blocks found but unusable (corrupt / mismatched): the caller should drop them so they get rewritten. */
  bad: BlockHash[];
  /** Why the walk stopped before the end of the log, if it did. */
  stop?: { at: number; reason: 'missing' | 'corrupt' | 'limit' };
  storedBytes: number;
}

export interface RestoreOptions {
  /** Restore at most this many tokens (e.g. N-1 when the last token must run again for logits). */
  maxTokens?: number;
  /**
   * Log lengths at which a partial tail block may be stored — a tail is keyed by its exact length, so
   * it is found only where a save ended: typically the previous turn's end and the log's own end.
   */
  tailEnds?: number[];
  logger: KvLogger;
}

/**
 * Candidate blocks in walk order: every full block; tails are tried where the full chain stops. With a
 * salted context (a cache imported from a file) each position has two candidates, the locally computed
 * block (unsalted chain) and the imported one (salted chain); the local one is preferred. A block's KV
 * depends only on the tokens up to it, so the two chains can be mixed position by position.
 */
function* walk(chain: TokenChain, tailEnds: number[], present: (b: ChainBlock) => boolean): Generator<ChainBlock> {
  const B = chain.ctx.blockSize;
  const n = chain.length;
  const keys = chain.preference;
  for (let b = 0; ; b++) {
    const start = b * B;
    if (start + B <= n) {
      const hit = keys.map((k) => chain.full(b, k)).find(present);
      if (hit) {
        yield hit;
        continue;
      }
    }
    // the full chain stops here: the longest stored tail within this block, if any
    const ends = [...new Set(tailEnds)].filter((e) => e > start && e < start + B && e <= n).sort((a, b) => b - a);
    for (const e of ends) {
      const tail = keys.map((k) => chain.tail(e, k)).find(present);
      if (tail) {
        yield tail;
        return;
      }
    }
    return;
  }
}

/** The stored candidate blocks of a log's prefix up to `max`, by presence only (token hashing + index lookups: a few ms for 2k tokens). */
function candidates(
  hashes: TokenChain,
  max: number,
  source: Pick<BlockSource, 'hasBlock'>,
  tailEnds: number[],
): { chain: ChainBlock[]; limitAt?: number } {
  const has = (b: ChainBlock) => {
    try {
      return source.hasBlock(b.hash);
    } catch {
      return false;
    }
  };
  const chain: ChainBlock[] = [];
  for (const b of walk(hashes, tailEnds, has)) {
    if (b.start >= max) return { chain, limitAt: b.start };
    chain.push(b);
  }
  return { chain };
}

export async function planRestore(
  tokens: number[] | TokenChain,
  ctx: KvContext,
  source: BlockSource,
  opts: RestoreOptions,
): Promise<RestorePlan> {
  const hashes = TokenChain.of(tokens, ctx);
  const log = hashes.log;
  const max = Math.min(opts.maxTokens ?? log.length, log.length);
  const bounds: Array<[number, number]> = []; // block ranges of the restored prefix, for `slices`
  let blockSlices: KvSlice[] | undefined;
  const plan: RestorePlan = {
    kv: null,
    get slices(): KvSlice[] {
      blockSlices ??= this.kv ? bounds.map(([a, b]) => subSlice(this.kv!, a, b)) : [];
      return blockSlices;
    },
    restoredTokens: 0,
    used: [],
    bad: [],
    storedBytes: 0,
  };
  // 1. the candidate chain
  const { chain, limitAt } = candidates(hashes, max, source, opts.tailEnds ?? [log.length]);
  if (limitAt !== undefined) plan.stop = { at: limitAt, reason: 'limit' };
  const last = chain[chain.length - 1];
  const total = last ? Math.min(max, last.start + last.count) : 0;
  if (total === 0) {
    if (!plan.stop && max > 0) plan.stop = { at: 0, reason: 'missing' };
    return plan;
  }
  // 2. read, verify and decode block by block into one buffer per layer (blocks are contiguous from 0).
  //    Each block's zstd starts on the thread pool as soon as it is read and checked, so decompression
  //    overlaps the remaining SQLite reads; unshuffle/dequantize then run here as blocks come back.
  const whole = newTarget(ctx.layout, total);
  const found: Array<{ b: ChainBlock; data: Uint8Array }> = [];
  const pending: Array<Promise<unknown>> = [];
  for (const b of chain) {
    let data: Uint8Array | undefined;
    try {
      data = source.blockData(b.hash);
    } catch (err) {
      opts.logger.warn('kv: reading a block failed; prefilling from here', { at: b.start, error: String(err) });
    }
    if (!data) {
      // indexed but its file is gone or the wrong size: dropped, so the next save writes it again
      opts.logger.warn('kv: a stored block has no usable file; prefilling from here', { at: b.start, hash: b.hash });
      plan.bad.push(b.hash);
      plan.stop = { at: b.start, reason: 'missing' };
      break;
    }
    found.push({ b, data });
    const target: KvTarget = { layers: whole.layers, cap: total, at: b.start, limit: total - b.start };
    const expect = { hash: b.hash, layout: ctx.layout, start: b.start, tokens: log.slice(b.start, b.start + b.count) };
    pending.push(decodeBlockInto(data, expect, target));
  }
  const decoded = await Promise.allSettled(pending);
  // 3. the valid prefix
  for (const [i, r] of decoded.entries()) {
    const { b, data } = found[i]!;
    if (r.status === 'rejected') {
      const err = r.reason as Error;
      const reason = err instanceof BlockError ? err.reason : 'body';
      opts.logger.warn(
        `kv: unusable block at token ${b.start} (${reason}: ${err.message}); falling back to the valid prefix and prefilling the rest`,
        { hash: b.hash },
      );
      plan.bad.push(b.hash);
      plan.stop = { at: b.start, reason: 'corrupt' };
      break;
    }
    const end = Math.min(b.start + b.count, max);
    bounds.push([b.start, end]);
    plan.used.push(b.hash);
    plan.storedBytes += data.byteLength;
    plan.restoredTokens = end;
  }
  const n = plan.restoredTokens;
  if (n > 0) {
    const kv: KvSlice = { layout: ctx.layout, start: 0, tokens: log.slice(0, n), layers: whole.layers };
    // a corrupt block cut the prefix short (rare): compact to the valid part
    plan.kv = n === total ? kv : subSlice({ ...kv, tokens: log.slice(0, total) }, 0, n);
  }
  if (!plan.stop && plan.restoredTokens < max) plan.stop = { at: plan.restoredTokens, reason: 'missing' };
  return plan;
}

/** Tokens of `log` covered by stored blocks, by presence only (no decode): decides whether restoring can beat what is live. */
export function storedPrefix(
  log: number[] | TokenChain,
  ctx: KvContext,
  source: Pick<BlockSource, 'hasBlock'>,
  tailEnds: number[] = [log.length],
): number {
  const chain = storedChain(log, ctx, source, tailEnds);
  const last = chain[chain.length - 1];
  return last ? last.start + last.count : 0;
}

/** The stored blocks that cover `log`'s restorable prefix, in order, by presence only. */
export function storedChain(
  log: number[] | TokenChain,
  ctx: KvContext,
  source: Pick<BlockSource, 'hasBlock'>,
  tailEnds: number[] = [log.length],
): ChainBlock[] {
  return [...walk(TokenChain.of(log, ctx), tailEnds, (x) => source.hasBlock(x.hash))];
}

/** What restoreFromFiles needs of a generator (engine Generator). */
export interface KvFileLoader {
  loadKvFiles(files: readonly KvRowFile[], tokens: readonly number[]): Promise<RowFilesLoaded>;
  rewindTo(n: number): Promise<void>;
}

/**
 * The hot path of planRestore + Generator.restoreKv: when every block of the stored prefix is a raw exact
 * block file, the engine reads the files straight into its cache (verifying each block's header, size and
 * checksum as it goes) and nothing passes through this thread. Null when some block is not one (another
 * codec, a compressed exact block of an older version): use planRestore. The generator's state is replaced
 * even when the result is shorter than what it held.
 */
export async function restoreFromFiles(
  tokens: number[] | TokenChain,
  ctx: KvContext,
  source: BlockSource,
  gen: KvFileLoader,
  opts: RestoreOptions,
): Promise<Omit<RestorePlan, 'kv' | 'slices'> | null> {
  const blockFile = source.blockFile?.bind(source);
  if (!blockFile) return null;
  const hashes = TokenChain.of(tokens, ctx);
  const log = hashes.log;
  const max = Math.min(opts.maxTokens ?? log.length, log.length);
  // presence and file in one index lookup per block
  const found = new Map<BlockHash, BlockFileInfo>();
  const present = (h: BlockHash) => {
    const f = blockFile(h);
    if (f) found.set(h, f);
    return f !== undefined;
  };
  const { chain, limitAt } = candidates(hashes, max, { hasBlock: present }, opts.tailEnds ?? [log.length]);
  if (!chain.length) return null;
  const files: KvRowFile[] = [];
  for (const b of chain) {
    const f = found.get(b.hash)!;
    if (f.codec !== 'exact' || f.storedBytes !== rawBlockBytes(ctx.layout, b.count)) return null;
    files.push({
      path: f.path,
      start: b.start,
      count: b.count,
      prefix: rawBlockPrefix(ctx.layout, b.hash, b.kind, b.start, b.count),
    });
  }
  const last = chain[chain.length - 1]!;
  const r = await gen.loadKvFiles(files, log.slice(0, last.start + last.count));
  const restoredTokens = Math.min(r.loaded, max);
  if (restoredTokens < r.loaded) await gen.rewindTo(restoredTokens);
  const ok = r.failure ? chain.slice(0, r.failure.file) : chain;
  const plan: Omit<RestorePlan, 'kv' | 'slices'> = {
    restoredTokens,
    used: ok.map((b) => b.hash),
    bad: [],
    storedBytes: ok.reduce((n, b) => n + rawBlockBytes(ctx.layout, b.count), 0),
  };
  if (r.failure) {
    const b = chain[r.failure.file]!;
    opts.logger.warn(
      `kv: unusable block at token ${b.start} (${r.failure.reason}: ${r.failure.message}); falling back to the valid prefix and prefilling the rest`,
      { hash: b.hash },
    );
    plan.bad.push(b.hash);
    plan.stop = { at: b.start, reason: r.failure.reason === 'missing' ? 'missing' : 'corrupt' };
  } else if (limitAt !== undefined) plan.stop = { at: limitAt, reason: 'limit' };
  else if (restoredTokens < max) plan.stop = { at: restoredTokens, reason: 'missing' };
  return plan;
}
