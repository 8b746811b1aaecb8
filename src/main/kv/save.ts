// Writing a snapshot: only the part of the cache not yet stored is exported and encoded, so saving a
// turn costs O(new tokens + one block) whatever the history's length.
import type { KvRowFile } from '../engine/index.ts';
import type { KvSlice } from '../tensor/kv-types.ts';
import { encodeBlock, rawBlockPrefix } from './block-format.ts';
import type { BlockSource, NewBlock } from './ports.ts';
import { rawKvBytes, subSlice } from './codec/tensors.ts';
import type { KvContext } from './context.ts';
import type { BlockHash } from './hash.ts';
import { TokenChain } from './token-chain.ts';

/** The engine's tokens at [lo, hi) must be the conversation's: the K/V saved for them is theirs. */
function sameTokens(engineAt: (i: number) => number | undefined, log: readonly number[], lo: number, hi: number): void {
  for (let i = lo; i < hi; i++)
    if (engineAt(i) !== log[i]) throw new Error(`engine token log differs from the conversation's at position ${i}`);
}

export type ExportKv = (start: number, end: number) => Promise<KvSlice>;

/** What a generator offers for writing raw exact blocks itself (engine Generator). */
export interface KvFileWriter {
  /** Its token log (the mirror: pending tokens included). */
  readonly tokens: readonly number[];
  saveKvFiles(files: readonly KvRowFile[]): Promise<number[]>;
}

export interface SnapshotResult {
  /** Blocks to insert (not already stored). */
  blocks: NewBlock[];
  /** Every block covering [firstBlockStart, log.length): the new owner references all of them. */
  refs: BlockHash[];
  /** Tokens exported from the engine. */
  exportedTokens: number;
}

/**
 * Encodes blocks for `log` from token `from` on (from = tokens already covered by stored blocks).
 * The range starts at the block boundary at or below `from`: that block is partial or missing so far.
 * Full blocks use the context's codec; the partial tail (the most recent < blockSize tokens) is stored exact
 * under the quantizers — KIVI's full-precision residual — and is replaced by a full block once it fills.
 * fp16 stores its tail as fp16 too: its rounding is far below what the residual guards against (bench: max
 * |Δlogit| 0.001 on bench-100m), and a whole history then costs half of exact, as llama.cpp's f16 state does.
 */
export async function snapshotRange(
  tokens: number[] | TokenChain,
  from: number,
  ctx: KvContext,
  exportKv: ExportKv,
  store?: Pick<BlockSource, 'hasBlock' | 'blockPath'>,
  writer?: KvFileWriter,
): Promise<SnapshotResult> {
  const hashes = TokenChain.of(tokens, ctx);
  const log = hashes.log;
  const chain = hashes.blocks(from);
  const todo = chain.filter((b) => !store?.hasBlock(b.hash));
  const result: SnapshotResult = { blocks: [], refs: chain.map((b) => b.hash), exportedTokens: 0 };
  if (todo.length === 0) return result;
  const lo = todo[0]!.start;
  const hi = todo[todo.length - 1]!.start + todo[todo.length - 1]!.count;
  if (ctx.codec === 'exact' && writer && store?.blockPath) {
    // the hot tier: the engine writes each block's file straight from its cache (engine/kv-files.ts)
    sameTokens((i) => writer.tokens[i], log, lo, hi);
    const files = todo.map((b) => ({
      path: store.blockPath!(b.hash),
      start: b.start,
      count: b.count,
      prefix: rawBlockPrefix(ctx.layout, b.hash, b.kind, b.start, b.count),
    }));
    const sizes = await writer.saveKvFiles(files);
    result.exportedTokens = hi - lo;
    todo.forEach((b, i) =>
      result.blocks.push({
        ...b,
        codec: 'exact',
        fingerprint: ctx.fingerprint,
        rawBytes: rawKvBytes(ctx.layout, b.count),
        storedBytes: sizes[i]!,
      }),
    );
    return result;
  }
  const kv = await exportKv(lo, hi);
  if (kv.start !== lo || kv.tokens.length !== hi - lo)
    throw new Error(`exportKv(${lo}, ${hi}) returned [${kv.start}, ${kv.start + kv.tokens.length})`);
  sameTokens((i) => kv.tokens[i - lo], log, lo, hi);
  result.exportedTokens = hi - lo;
  for (const b of todo) {
    const slice = subSlice(kv, b.start - lo, b.start - lo + b.count);
    const use = b.kind === 'tail' && ctx.codec !== 'fp16' ? 'exact' : ctx.codec;
    const { data, codec } = await encodeBlock(slice, b.hash, b.kind, use, ctx.rope);
    result.blocks.push({
      ...b,
      codec,
      fingerprint: ctx.fingerprint,
      rawBytes: rawKvBytes(ctx.layout, b.count),
      storedBytes: data.length,
      data,
    });
  }
  return result;
}
