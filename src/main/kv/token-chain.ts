// A token log with its block hashes under one KvContext. A turn hashes its log once: restore, the prompt's
// save and the reply's save all read the same memo, and after generation the chain follows the longer log,
// keeping every hash of the common prefix (a block's hash depends only on the tokens up to its end).
import type { KvContext } from './context.ts';
import { type BlockHash, type BlockKind, type ChainBlock, ROOT_HASH, hashBlock } from './hash.ts';

export class TokenChain {
  private toks: number[];
  /** Hashes of full blocks, per key: [0] under the context's own key (what is saved), [1] the local key. */
  private readonly fulls: BlockHash[][];
  /** Tail hashes per key, by the tail's end (a tail starts at the block boundary below its end). */
  private readonly tails: Array<Map<number, BlockHash>>;
  private readonly keys: Buffer[];
  /** Block hashes computed so far (each block of each key once): for tests. */
  hashed = 0;

  private constructor(
    log: readonly number[],
    readonly ctx: KvContext,
  ) {
    this.toks = [...log];
    this.keys = ctx.localExtra ? [ctx.extra, ctx.localExtra] : [ctx.extra];
    this.fulls = this.keys.map(() => []);
    this.tails = this.keys.map(() => new Map());
  }

  /** `log` itself when it is a chain for this context; otherwise a new chain over it. */
  static of(log: readonly number[] | TokenChain, ctx: KvContext): TokenChain {
    if (log instanceof TokenChain && log.ctx.extra.equals(ctx.extra) && log.ctx.blockSize === ctx.blockSize) return log;
    return new TokenChain(log instanceof TokenChain ? log.log : log, ctx);
  }

  get log(): readonly number[] {
    return this.toks;
  }

  get length(): number {
    return this.toks.length;
  }

  /** Key indices in the order restore prefers them: a locally computed block first (see KvContext.localExtra). */
  get preference(): number[] {
    return this.keys.length === 2 ? [1, 0] : [0];
  }

  /** Full block `b` (tokens [b·B, (b+1)·B)) under key `k`; the log must cover it. */
  full(b: number, k = 0): ChainBlock {
    const B = this.ctx.blockSize;
    if ((b + 1) * B > this.toks.length) throw new RangeError(`block ${b} is past the log's ${this.toks.length} tokens`);
    const memo = this.fulls[k]!;
    for (let i = memo.length; i <= b; i++) {
      const parent = i === 0 ? ROOT_HASH : memo[i - 1]!;
      memo.push(this.hash(parent, i * B, (i + 1) * B, k, 'full'));
    }
    return { hash: memo[b]!, parentHash: b === 0 ? ROOT_HASH : memo[b - 1]!, kind: 'full', start: b * B, count: B };
  }

  /** The partial block ending at `end` (not a block boundary) under key `k`. */
  tail(end: number, k = 0): ChainBlock {
    const B = this.ctx.blockSize;
    const b = Math.floor(end / B);
    if (end % B === 0 || end > this.toks.length) throw new RangeError(`no tail block ends at ${end}`);
    const parentHash = b === 0 ? ROOT_HASH : this.full(b - 1, k).hash;
    const memo = this.tails[k]!;
    let hash = memo.get(end);
    if (!hash) memo.set(end, (hash = this.hash(parentHash, b * B, end, k, 'tail')));
    return { hash, parentHash, kind: 'tail', start: b * B, count: end - b * B };
  }

  /** The blocks that cover the log under the context's own key from the block holding `from` on. */
  blocks(from = 0): ChainBlock[] {
    const B = this.ctx.blockSize;
    const n = this.toks.length;
    const out: ChainBlock[] = [];
    for (let b = Math.floor(Math.min(from, n) / B); (b + 1) * B <= n; b++) out.push(this.full(b));
    if (n % B !== 0) out.push(this.tail(n));
    return out;
  }

  /** The log grew (a reply) or changed: keep the hashes of the common prefix, recompute the rest on demand. */
  follow(log: readonly number[]): this {
    const old = this.toks;
    const n = Math.min(old.length, log.length);
    let p = 0;
    while (p < n && old[p] === log[p]) p++;
    const keepFull = Math.floor(p / this.ctx.blockSize);
    for (const memo of this.fulls) if (memo.length > keepFull) memo.length = keepFull;
    for (const memo of this.tails) for (const end of memo.keys()) if (end > p) memo.delete(end);
    this.toks = [...log];
    return this;
  }

  private hash(parent: BlockHash, start: number, end: number, k: number, kind: BlockKind): BlockHash {
    this.hashed++;
    return hashBlock(parent, this.toks.slice(start, end), this.keys[k]!, kind);
  }
}
