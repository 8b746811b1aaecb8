// Continuing a reply that was cut short (Stopped, or the token limit): the reply's own token log is
// restored, the model goes on writing after its last token, and the whole reply (old + new text and ids)
// is committed as a sibling of the old one, so nothing is lost and the old version stays one click away.
// No new user turn is added: the model sees exactly the tokens it wrote.
import { storedPrefix } from '../kv/restore.ts';
import { type SnapshotResult, snapshotRange } from '../kv/save.ts';
import { TokenChain } from '../kv/token-chain.ts';
import type { Conversation, Message } from '../store/types.ts';
import { cacheOrigin, conversationKvContext } from './cache-origin.ts';
import { DEFAULT_MAX_TOKENS, engineSampling } from './sampling.ts';
import { requireRoomForReply } from './disk-room.ts';
import { streamReply } from './stream-reply.ts';
import { usableLog } from './token-log.ts';
import type { TurnDeps } from './turn.ts';
import { ChatError, type ChatEvent, type TurnHandlers, type TurnOutcome, type TurnStats } from './types.ts';

/** The stop reasons after which going on makes sense: the model had more to say. */
export const CONTINUABLE = new Set<string>(['userStopped', 'maxTokens']);

export async function runContinuation(
  d: TurnDeps,
  spec: { conv: Conversation; reply: Message },
  h: TurnHandlers,
): Promise<TurnOutcome> {
  const emit = (e: ChatEvent) => h.onEvent?.(e);
  const t0 = performance.now();
  const { store } = d;
  const engine = d.session.requireEngine();
  const { conv, reply } = spec;
  const info = engine.info;
  const ctx = conversationKvContext(info, conv, d.blockSize);
  const log = usableLog(store.messages.tokenLog(reply.id), info.vocabSize, d.logger);
  if (!log || !reply.tokenIds || !reply.parentId)
    throw new ChatError(
      'Cannot continue this reply',
      'it was imported without the tokens the model wrote',
      'Regenerate it instead.',
    );
  const N = log.length;
  if (N >= info.contextLength)
    throw new ChatError('Cannot continue this reply', 'the context is full', 'Start a new chat.', 'contextFull');
  const userMessage = store.messages.require(reply.parentId);

  // 1. the engine holds the reply's whole log (at most N-1 restored: the last token must run to give logits)
  emit({ type: 'progress', phase: 'restore', done: 0, total: N });
  const chain = TokenChain.of(log, ctx); // hashed once: restore and the save read it
  const r = await d.session.ensurePrefix(chain, ctx, {
    owner: conv.id,
    maxTokens: N - 1,
    tailEnds: [N],
    purpose: 'run',
    signal: h.signal,
    onPrefill: (done, total) => emit({ type: 'progress', phase: 'prefill', done, total }),
  });
  const gen = await d.session.generator();
  emit({ type: 'progress', phase: 'restore', done: r.restored, total: N });
  emit({ type: 'progress', phase: 'prefill', done: r.prefilled, total: r.prefilled });

  requireRoomForReply(d.freeBytes, info.layout, conv.sampling.maxTokens ?? DEFAULT_MAX_TOKENS, d.blockSize);

  // 2. go on writing
  const maxTokens = conv.sampling.maxTokens ?? DEFAULT_MAX_TOKENS;
  const sampling = engineSampling(conv.sampling, info.generationDefaults);
  const { result, firstTokenAt: tFirst } = await streamReply(gen, { sampling, maxTokens, signal: h.signal }, emit);

  // 3. the whole reply as a sibling of the old one, with its blocks, in one transaction
  const full = chain.follow([...gen.tokens]);
  const from = Math.min(N, storedPrefix(full, ctx, store.blocks, [N]));
  const s = await snapshotRange(full, from, ctx, (a, b) => gen.exportKv(a, b), store.blocks, gen);
  const replyStart = N - reply.tokenIds.length;
  const cacheNote: TurnStats['cacheNote'] =
    r.restored + 1 >= N
      ? undefined
      : conv.modelFingerprint && conv.modelFingerprint !== info.fingerprint
        ? 'otherModel'
        : reply.stats && reply.stats.codec !== conv.codec
          ? 'codecChanged'
          : 'evicted';
  const stats: TurnStats = {
    restoredTokens: r.restored,
    prefilledTokens: r.prefilled,
    restoreMs: round(r.restoreMs),
    prefillMs: round(r.prefillMs),
    ttftMs: round((tFirst || performance.now()) - t0),
    generatedTokens: result.generatedTokens,
    decodeTokS: round(result.decodeTokS),
    stopReason: result.stopReason,
    codec: conv.codec,
    snapshotRawBytes: sum(s, (b) => b.rawBytes),
    snapshotStoredBytes: sum(s, (b) => b.storedBytes),
    droppedMessages: 0,
    contextTokens: full.length,
    contextLength: info.contextLength,
    restoreSource: r.source,
    cacheOrigin: cacheOrigin(conv),
    historyTokens: N,
    ...(cacheNote ? { cacheNote } : {}),
  };
  const message = store.transaction(() => {
    const [m] = store.commitMessages(conv.id, [
      {
        message: {
          conversationId: conv.id,
          parentId: reply.parentId,
          role: 'assistant',
          content: reply.content + result.text,
          tokenIds: full.log.slice(replyStart),
          tokenEnd: full.length,
          stopReason: result.stopReason,
          stats: { ...stats },
        },
        blocks: s.blocks,
        refs: s.refs,
      },
    ]);
    return m!;
  });
  store.enforceBudget(d.cacheBudgetMb);
  emit({ type: 'success', conversationId: conv.id, userMessage, message, stats });
  return { conversationId: conv.id, userMessage, message, stats };
}

const round = (x: number) => Math.round(x * 100) / 100;
const sum = (s: SnapshotResult, f: (b: SnapshotResult['blocks'][number]) => number) =>
  s.blocks.reduce((n, b) => n + f(b), 0);
