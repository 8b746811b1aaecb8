// Getting a token log's prefix into the engine: what a turn does before its prefill, and what opening a
// conversation does ahead of its next turn (ChatService.warmUp). The live engine state or the stored
// blocks, whichever covers more.
import type { Generator } from '../engine/index.ts';
import type { KvContext, KvLogger } from '../kv/context.ts';
import { planRestore, restoreFromFiles, storedPrefix } from '../kv/restore.ts';
import type { TokenChain } from '../kv/token-chain.ts';
import type { Store } from '../store/store.ts';

import type { RestoreSource as AnySource } from '../../shared/vocabulary.ts';

/** Where restored tokens came from: stored blocks, the generator's own state, or nowhere ('opened' is the turn's word). */
export type RestoreSource = Exclude<AnySource, 'opened'>;

export function commonPrefix(a: readonly number[], b: readonly number[], max: number): number {
  const n = Math.min(a.length, b.length, max);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * The cache salt of imported blocks a generator's state was restored from (null or absent: only local
 * KV). Live state restored from a file's blocks is as foreign as the blocks: it serves only their
 * conversation, never another that shares its prefix.
 */
const taint = new WeakMap<Generator, string>();

/**
 * Makes the generator hold K/V for at least the longest of (what it already holds of `log`, the stored
 * prefix of `log`), up to `maxTokens`. Tokens the generator holds beyond the returned count are the
 * caller's to rewind. Bad blocks are dropped from the store so the next save rewrites them.
 */
export async function restorePrefix(
  gen: Generator,
  chain: TokenChain,
  ctx: KvContext,
  store: Store,
  o: { maxTokens: number; tailEnds: number[]; logger: KvLogger },
): Promise<{ restored: number; source: RestoreSource }> {
  const foreign = taint.get(gen);
  if (foreign && foreign !== ctx.salt) {
    await gen.rewindTo(0); // another conversation's imported KV: nothing of it may serve this one
    taint.delete(gen);
  }
  const live = commonPrefix(gen.tokens, chain.log, o.maxTokens);
  if (Math.min(storedPrefix(chain, ctx, store.blocks, o.tailEnds), o.maxTokens) > live) {
    // the hot tier: the engine reads raw block files straight into its cache
    const direct = await restoreFromFiles(chain, ctx, store.blocks, gen, {
      maxTokens: o.maxTokens,
      tailEnds: o.tailEnds,
      logger: o.logger,
    });
    if (direct) {
      if (direct.bad.length) store.blocks.drop(direct.bad);
      // the generator now holds exactly the restored prefix, whatever it held before
      if (ctx.salt && direct.restoredTokens > 0) taint.set(gen, ctx.salt);
      else taint.delete(gen);
      store.blocks.touch(direct.used);
      const n = direct.restoredTokens;
      return { restored: n, source: n > 0 ? 'store' : 'none' };
    }
    const plan = await planRestore(chain, ctx, store.blocks, {
      maxTokens: o.maxTokens,
      tailEnds: o.tailEnds,
      logger: o.logger,
    });
    if (plan.bad.length) store.blocks.drop(plan.bad);
    if (plan.kv && plan.restoredTokens > live) {
      await gen.restoreKv([plan.kv], { transfer: true }); // one buffer per layer, moved, not copied
      if (ctx.salt) taint.set(gen, ctx.salt);
      else taint.delete(gen);
      store.blocks.touch(plan.used);
      return { restored: plan.restoredTokens, source: 'store' };
    }
  }
  return { restored: live, source: live > 0 ? 'live' : 'none' };
}
