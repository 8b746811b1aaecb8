// A completion that is not a conversation turn: the local API's requests. The same steps as a turn on the
// same session and hash chain (so a request and a chat with the same system prompt share blocks), but the
// blocks are owned by an API entry instead of a message: ensure the prefix → prefill → save the prompt's
// blocks (a long prompt stays cached even when the client hangs up) → generate → save the reply's blocks.
import type { Generator, SamplingOptions } from '../engine/index.ts';
import { type KvContext, type KvLogger, modelKvContext } from '../kv/context.ts';
import { storedPrefix } from '../kv/restore.ts';
import { snapshotRange } from '../kv/save.ts';
import { TokenChain } from '../kv/token-chain.ts';
import type { Store } from '../store/store.ts';
import { AppError } from '../../shared/errors.ts';
import type { Codec, RestoreSource, StopReason } from '../../shared/vocabulary.ts';
import type { EngineSession } from './session.ts';

export interface CompletionRequest {
  /** The prompt's exact token log. */
  log: number[];
  /** The API entry that owns the saved blocks (created by the caller). */
  entryId: string;
  sampling: SamplingOptions;
  maxTokens: number;
  stop?: string[];
  codec: Codec;
  blockSize: number;
  cacheBudgetMb: number;
  signal?: AbortSignal;
  /** Called once the prompt is in the engine (before the first token). */
  onPrefilled?: (report: { cachedTokens: number; promptTokens: number }) => void;
  onText?: (text: string) => void;
}

export interface CompletionResult {
  text: string;
  stopReason: StopReason;
  promptTokens: number;
  /** Prompt tokens that were not prefilled: restored from the store or already held by the engine. */
  cachedTokens: number;
  completionTokens: number;
  source: RestoreSource;
  restoreMs: number;
  prefillMs: number;
  ttftMs: number;
  decodeTokS: number;
  /** The whole token log after the reply (what a stateful follow-up extends). */
  fullLog: number[];
}

/** Runs inside the session's lock (the caller queues it). */
export async function runCompletion(
  session: EngineSession,
  store: Store,
  logger: KvLogger,
  r: CompletionRequest,
): Promise<CompletionResult> {
  const t0 = performance.now();
  const engine = session.requireEngine();
  const N = r.log.length;
  if (N === 0) throw new AppError({ code: 'badArgument', title: 'The prompt is empty' });
  if (N >= engine.info.contextLength)
    throw new AppError({
      code: 'contextFull',
      title: 'The prompt is longer than the model’s context',
      cause: `the prompt has ${N} tokens; the model's context window is ${engine.info.contextLength}`,
      suggestion: 'Shorten the prompt.',
    });
  const ctx = modelKvContext(engine.info, r.codec, r.blockSize);
  const chain = TokenChain.of(r.log, ctx); // hashed once: restore and both saves read it
  const prefix = await session.ensurePrefix(chain, ctx, {
    owner: null,
    maxTokens: N - 1,
    tailEnds: [N],
    purpose: 'run',
    signal: r.signal,
  });
  const gen = await session.generator();
  // the prompt's blocks are exported now (queued in the engine before generation) and encoded while the
  // reply streams: a client that hangs up mid-reply still leaves its prompt cached, and TTFT never waits
  const promptSaved = saveBlocks(store, logger, chain, ctx, r.entryId, gen);
  r.onPrefilled?.({ cachedTokens: prefix.restored, promptTokens: N });

  let tFirst = 0;
  const result = await gen.generate({
    sampling: r.sampling,
    maxTokens: r.maxTokens,
    stopStrings: r.stop,
    signal: r.signal,
    onFragment: (f) => {
      if (!tFirst && f.tokenId !== null) tFirst = performance.now();
      if (f.text) r.onText?.(f.text);
    },
  });
  const fullLog = [...gen.tokens];
  await promptSaved;
  await saveBlocks(store, logger, chain.follow(fullLog), ctx, r.entryId, gen);
  store.enforceBudget(r.cacheBudgetMb);
  return {
    text: result.text,
    stopReason: result.stopReason,
    promptTokens: N,
    cachedTokens: prefix.restored,
    completionTokens: result.generatedTokens,
    source: prefix.source,
    restoreMs: prefix.restoreMs,
    prefillMs: prefix.prefillMs,
    ttftMs: (tFirst || performance.now()) - t0,
    decodeTokS: result.decodeTokS,
    fullLog,
  };
}

/** Saves what of `log` is not stored yet; a failure (a full disk) costs a re-prefill later, not the request. */
async function saveBlocks(
  store: Store,
  logger: KvLogger,
  chain: TokenChain,
  ctx: KvContext,
  entryId: string,
  gen: Generator,
): Promise<void> {
  try {
    const from = storedPrefix(chain, ctx, store.blocks);
    const s = await snapshotRange(chain, from, ctx, (a, b) => gen.exportKv(a, b), store.blocks, gen);
    // the entry references its whole chain, not only the new blocks: it keeps its prefix alive on its own
    // (a chat that shares the prefix may be deleted)
    store.attachApiBlocks(
      entryId,
      s.blocks,
      chain.blocks().map((b) => b.hash),
    );
  } catch (err) {
    logger.warn(`api: saving the KV blocks failed: ${(err as Error).message}`);
  }
}
