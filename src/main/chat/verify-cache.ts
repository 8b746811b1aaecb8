// Verifying a cache imported from a file: recompute the conversation's token logs locally (one fresh
// prefill per branch) and compare every imported block with the recomputed KV. A block is kept when it
// is as close to the recomputation as the block's codec itself gets (its own round-trip error on these very
// values, doubled, plus float noise): then restored logits match a recompute within the codec's
// tolerance. Anything further (a sign-flipped body with re-signed checksums, a block swapped in from
// elsewhere, a body that no longer decodes) is replaced by the recomputed block, under the same identity.
// The conversation is then marked verified.
import type { Engine, Generator } from '../engine/index.ts';
import type { KvSlice } from '../tensor/kv-types.ts';
import { decodeBlock, encodeBlock, readHeader } from '../kv/block-format.ts';
import { reader, subSlice } from '../kv/codec/tensors.ts';
import type { KvContext, KvLogger } from '../kv/context.ts';
import { type BlockHash, type ChainBlock, ROOT_HASH, chainFor, hashBlock } from '../kv/hash.ts';
import type { Store } from '../store/store.ts';
import { conversationKvContext } from './cache-origin.ts';
import { ChatError } from './types.ts';

export interface VerifyResult {
  conversationId: string;
  /** Imported blocks compared with the recomputation. */
  checkedBlocks: number;
  /** Of those, replaced because they differed beyond the codec's tolerance (or did not decode). */
  replacedBlocks: number;
  /** Token logs (branches) recomputed. */
  recomputedLogs: number;
  verifiedAt: number | null;
}

export interface VerifyDeps {
  store: Store;
  engine: Engine;
  blockSize: number;
  logger: KvLogger;
  signal?: AbortSignal;
}

/** Relative error floor for exact blocks: prefill order may change the last bits of the KV. */
const FLOAT_NOISE = 1e-3;

/** Per layer and K/V: ||a - b|| / ||b|| (the worst over the block's tensors). */
function relError(a: KvSlice, b: KvSlice): number {
  let worst = 0;
  for (let l = 0; l < b.layers.length; l++) {
    for (const k of ['key', 'value'] as const) {
      const x = reader(a.layers[l]![k]);
      const y = reader(b.layers[l]![k]);
      const len = b.layers[l]![k].length;
      let d = 0;
      let n = 0;
      for (let i = 0; i < len; i++) {
        const e = x(i) - y(i);
        d += e * e;
        n += y(i) * y(i);
      }
      const r = Math.sqrt(d / Math.max(n, 1e-30));
      worst = Math.max(worst, Number.isNaN(r) ? Infinity : r);
    }
  }
  return worst;
}

/** The imported (salted) blocks a log can use: its full blocks and the tails at `ends`. */
function saltedChain(log: number[], ctx: KvContext, ends: number[]): ChainBlock[] {
  const B = ctx.blockSize;
  const full = chainFor(log, B, ctx.extra).filter((b) => b.kind === 'full');
  const out = [...full];
  for (const e of new Set(ends)) {
    if (e <= 0 || e > log.length || e % B === 0) continue;
    const start = Math.floor(e / B) * B;
    const parent = start === 0 ? ROOT_HASH : full[start / B - 1]!.hash;
    out.push({
      hash: hashBlock(parent, log.slice(start, e), ctx.extra, 'tail'),
      parentHash: parent,
      kind: 'tail',
      start,
      count: e - start,
    });
  }
  return out;
}

export async function verifyImportedCache(d: VerifyDeps, conversationId: string): Promise<VerifyResult> {
  const { store, engine } = d;
  const conv = store.conversations.require(conversationId);
  const result: VerifyResult = {
    conversationId,
    checkedBlocks: 0,
    replacedBlocks: 0,
    recomputedLogs: 0,
    verifiedAt: conv.cacheVerifiedAt,
  };
  if (!conv.cacheSalt) return result; // computed here: nothing foreign to check
  if (conv.modelFingerprint !== engine.info.fingerprint)
    throw new ChatError(
      'Cannot verify the imported cache',
      'the loaded model is not the one the conversation was cached with, so its blocks are not used anyway',
      'Load the model the conversation was made with, then verify again.',
      'verifyModel',
    );
  const ctx = conversationKvContext(engine.info, conv, d.blockSize);
  const seen = new Set<BlockHash>();
  const leaves = store.messages.leaves(conversationId);
  for (const leaf of leaves) {
    const path = store.messages.path(leaf);
    const log = store.messages.tokenLog(leaf);
    if (!log?.length) continue;
    const ends = path.map((m) => m.tokenEnd ?? 0);
    const todo = saltedChain(log, ctx, ends).filter((b) => !seen.has(b.hash) && store.blocks.hasBlock(b.hash));
    if (todo.length === 0) continue;
    const end = Math.max(...todo.map((b) => b.start + b.count));
    let gen: Generator | null = null;
    let fresh: KvSlice;
    try {
      gen = await engine.createGenerator();
      await gen.appendTokens(log.slice(0, end), { signal: d.signal });
      fresh = await gen.exportKv(0, end);
    } finally {
      await gen?.dispose().catch(() => {});
    }
    result.recomputedLogs++;
    for (const b of todo) {
      seen.add(b.hash);
      result.checkedBlocks++;
      const data = store.blocks.blockData(b.hash);
      if (!data) continue;
      const want = subSlice(fresh, b.start, b.start + b.count);
      const codec = safeCodec(data) ?? (b.kind === 'tail' ? 'exact' : conv.codec);
      const own = await encodeBlock(want, b.hash, b.kind, codec, ctx.rope);
      let ok = false;
      try {
        const tokens = log.slice(b.start, b.start + b.count);
        const got = await decodeBlock(data, { hash: b.hash, layout: ctx.layout, start: b.start, tokens });
        const roundTrip = await decodeBlock(own.data, { hash: b.hash, layout: ctx.layout, start: b.start, tokens });
        const tolerance = 2 * relError(roundTrip, want) + FLOAT_NOISE;
        const err = relError(got, want);
        ok = err <= tolerance;
        if (!ok)
          d.logger.warn(`kv: imported block at token ${b.start} differs from the recomputation; replacing it`, {
            conversationId,
            relError: err,
            tolerance,
          });
      } catch (err) {
        d.logger.warn(
          `kv: imported block at token ${b.start} does not decode (${(err as Error).message}); replacing it`,
          {
            conversationId,
          },
        );
      }
      if (!ok) {
        store.blocks.replaceData(b.hash, own.data, own.codec);
        result.replacedBlocks++;
      }
    }
  }
  result.verifiedAt = Date.now();
  store.conversations.setCacheVerified(conversationId, result.verifiedAt);
  return result;
}

function safeCodec(data: Uint8Array) {
  try {
    return readHeader(data).codec;
  } catch {
    return null;
  }
}
