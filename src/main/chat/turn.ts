// One chat turn, as its steps: build the token log → ensure its prefix in the engine and prefill the rest →
// commit the user message and save the prompt's blocks (a crash mid-reply keeps both) → generate →
// commit the reply with its token ids and blocks in one transaction.
import { randomUUID } from 'node:crypto';
import type { Engine, Generator } from '../engine/index.ts';
import type { KvContext, KvLogger } from '../kv/context.ts';
import { storedPrefix } from '../kv/restore.ts';
import { type SnapshotResult, snapshotRange } from '../kv/save.ts';
import { TokenChain } from '../kv/token-chain.ts';
import type { Store } from '../store/store.ts';
import type { Conversation, Message } from '../store/types.ts';
import { isDefaultTitle, titleFrom } from '../../shared/title.ts';
import type { CacheNote } from '../../shared/vocabulary.ts';
import { cacheOrigin, conversationKvContext } from './cache-origin.ts';
import { type TurnLog, buildTurnLog, replyReserve } from './prompt.ts';
import { DEFAULT_MAX_TOKENS, engineSampling } from './sampling.ts';
import type { EngineSession, PrefixReport } from './session.ts';
import { streamReply } from './stream-reply.ts';
import { type FreeBytes, requireRoomForReply } from './disk-room.ts';
import { usableLog } from './token-log.ts';
import type { ChatEvent, TurnHandlers, TurnOutcome, TurnStats } from './types.ts';

export interface TurnDeps {
  store: Store;
  session: EngineSession;
  logger: KvLogger;
  blockSize: number;
  cacheBudgetMb: number;
  /** Free bytes on the store's disk (checked before generating). */
  freeBytes: FreeBytes;
}

export interface TurnSpec {
  conv: Conversation;
  /** Parent of the user message (null: first message). */
  parentId: string | null;
  userText: string;
  /** Regenerate: reply again to this stored user message instead of adding one. */
  existingUser?: Message;
  /** Regenerate: sample even where the conversation's sampling is greedy, so the new reply can differ. */
  vary?: boolean;
}

/** Runs inside the session's lock. */
export async function runTurn(d: TurnDeps, spec: TurnSpec, h: TurnHandlers): Promise<TurnOutcome> {
  const emit = (e: ChatEvent) => h.onEvent?.(e);
  const t0 = performance.now();
  const engine = d.session.requireEngine();
  const ctx = conversationKvContext(engine.info, spec.conv, d.blockSize);
  const maxTokens = spec.conv.sampling.maxTokens ?? DEFAULT_MAX_TOKENS;

  // 1. the exact token log this reply follows (invariant 1)
  if (spec.conv.modelFingerprint && spec.conv.modelFingerprint !== engine.info.fingerprint)
    d.logger.warn('chat: conversation was cached with another model; its blocks cannot be reused, prefilling', {
      conversationId: spec.conv.id,
    });
  const turn = await tokenLogFor(d, engine, spec, maxTokens, h.signal);
  const N = turn.log.length;

  // 2. the engine holds the longest available prefix (at most N-1: the last token must run to give
  //    logits) and reads the rest
  emit({ type: 'progress', phase: 'restore', done: 0, total: N });
  const chain = TokenChain.of(turn.log, ctx); // hashed once: restore and both saves read it
  const prefix = await d.session.ensurePrefix(chain, ctx, {
    owner: spec.conv.id,
    maxTokens: N - 1,
    tailEnds: turn.tailEnds,
    purpose: 'run',
    signal: h.signal,
    onPrefill: (done, total) => emit({ type: 'progress', phase: 'prefill', done, total }),
  });
  emit({ type: 'progress', phase: 'restore', done: prefix.restored, total: N });
  const gen = await d.session.generator();

  // 3. the user message commits now; the prompt's blocks are exported now (queued in the engine before
  //    generation) and encoded + attached while the reply streams, so TTFT never waits for compression
  const userMessage = commitUser(d.store, spec, turn);
  const promptSaved = savePrompt(d, gen, chain, ctx, userMessage.id);
  // a full disk is said now, with the message kept, not after a reply that cannot be saved
  requireRoomForReply(d.freeBytes, engine.info.layout, maxTokens, d.blockSize);
  emit({
    type: 'progress',
    phase: 'prefill',
    done: prefix.prefilled,
    total: prefix.prefilled,
    userMessageId: userMessage.id,
  });

  // 4. stream the reply
  const sampling = engineSampling(spec.conv.sampling, engine.info.generationDefaults, { vary: spec.vary });
  const { result, firstTokenAt: tFirst } = await streamReply(gen, { sampling, maxTokens, signal: h.signal }, emit);

  // 5. the reply, its token ids and its blocks in one transaction (invariant 5)
  const s1 = await promptSaved;
  const full = [...gen.tokens];
  const s2 = await snapshotRange(chain.follow(full), N, ctx, (a, b) => gen.exportKv(a, b), d.store.blocks, gen);
  const stats: TurnStats = {
    restoredTokens: prefix.restored,
    prefilledTokens: prefix.prefilled,
    restoreMs: round(prefix.restoreMs),
    prefillMs: round(prefix.prefillMs),
    ttftMs: round((tFirst || performance.now()) - t0),
    generatedTokens: result.generatedTokens,
    decodeTokS: round(result.decodeTokS),
    stopReason: result.stopReason,
    codec: spec.conv.codec,
    snapshotRawBytes: (s1 ? rawOf(s1) : 0) + rawOf(s2),
    snapshotStoredBytes: (s1 ? storedOf(s1) : 0) + storedOf(s2),
    droppedMessages: turn.droppedMessages,
    ...(turn.droppedSpan && { droppedSpan: turn.droppedSpan }),
    contextTokens: full.length,
    contextLength: engine.info.contextLength,
    restoreSource: prefix.source,
    cacheOrigin: cacheOrigin(spec.conv),
    historyTokens: turn.historyTokens,
    temperature: sampling.greedy ? 0 : (sampling.temperature ?? 1),
  };
  const note = cacheNote(d.store, engine, spec, turn, prefix, ctx);
  if (note) stats.cacheNote = note;
  const message = commitReply(d.store, engine, spec, userMessage, full.slice(N), full.length, result, stats, s2);
  d.store.enforceBudget(d.cacheBudgetMb);
  const outcome: TurnOutcome = { conversationId: spec.conv.id, userMessage, message, stats };
  emit({ type: 'success', ...outcome });
  return outcome;
}

interface TurnTokens extends TurnLog {
  /** Tokens of the log that earlier turns had read (the previous log's kept part). */
  historyTokens: number;
  /** Where a partial tail block may be stored: the parent's log end, and this log's end. */
  tailEnds: number[];
  /** The user message's stored log, when regenerating and it still fits. */
  existingLog: number[] | null;
  /** The user message's id (a new one, or the regenerated message's). */
  userId: string;
  /** The path up to the parent, when building the log read it. */
  parentPath?: Message[];
}

async function tokenLogFor(
  d: TurnDeps,
  engine: Engine,
  spec: TurnSpec,
  maxTokens: number,
  signal?: AbortSignal,
): Promise<TurnTokens> {
  const { store } = d;
  const info = engine.info;
  // logs with ids the model does not have (a foreign import) count as absent: re-rendered from the text
  const existingLog = spec.existingUser
    ? usableLog(store.messages.tokenLog(spec.existingUser.id), info.vocabSize, d.logger)
    : null;
  if (spec.existingUser && existingLog && existingLog.length < info.contextLength) {
    const u = spec.existingUser;
    const history = u.logReset ? 0 : existingLog.length - (u.tokenIds?.length ?? 0);
    return {
      log: existingLog,
      userTokenIds: u.tokenIds!,
      logReset: u.logReset,
      keptTokens: existingLog.length, // the stored log itself: nothing diverged on this turn
      contextFromId: u.contextFromId,
      droppedMessages: 0,
      historyTokens: history,
      tailEnds: [existingLog.length],
      existingLog,
      userId: u.id,
    };
  }
  const path = store.messages.path(spec.parentId);
  const history = path.slice(store.messages.contextWindow(path).start);
  const prevLog = spec.parentId ? usableLog(store.messages.tokenLog(spec.parentId), info.vocabSize, d.logger) : [];
  const userId = spec.existingUser?.id ?? randomUUID();
  const t = await buildTurnLog(engine, {
    systemPrompt: spec.conv.systemPrompt,
    history,
    userId,
    userText: spec.userText,
    prevLog,
    contextLength: info.contextLength,
    reserve: replyReserve(maxTokens, info.contextLength),
    signal,
  });
  const N = t.log.length;
  // a partial tail block is stored where the previous save ended: the parent's log end
  const parentEnd = !spec.existingUser && spec.parentId && !t.logReset ? N - t.userTokenIds.length : null;
  return {
    ...t,
    historyTokens: t.logReset ? 0 : N - t.userTokenIds.length,
    tailEnds: parentEnd ? [parentEnd, N] : [N],
    existingLog,
    userId,
    parentPath: path,
  };
}

function commitUser(store: Store, spec: TurnSpec, turn: TurnTokens): Message {
  const N = turn.log.length;
  if (!spec.existingUser) {
    return store.commitMessages(spec.conv.id, [
      {
        message: {
          id: turn.userId,
          conversationId: spec.conv.id,
          parentId: spec.parentId,
          role: 'user',
          content: spec.userText,
          tokenIds: turn.userTokenIds,
          logReset: turn.logReset,
          contextFromId: turn.contextFromId,
          tokenEnd: N,
        },
      },
    ])[0]!;
  }
  const u = spec.existingUser;
  if (turn.existingLog !== turn.log)
    store.messages.setRun(u.id, {
      tokenIds: turn.userTokenIds,
      tokenEnd: N,
      logReset: turn.logReset,
      contextFromId: turn.contextFromId,
    });
  return store.messages.require(u.id);
}

/** Never rejects: a failed prompt save (a full disk, say) costs a re-prefill later, not the turn. */
function savePrompt(
  d: TurnDeps,
  gen: Generator,
  chain: TokenChain,
  ctx: KvContext,
  userMessageId: string,
): Promise<SnapshotResult | null> {
  const failed = (err: unknown) => {
    d.logger.warn(`chat: saving the prompt's KV blocks failed: ${(err as Error).message}`);
    return null;
  };
  const save = snapshotRange(
    chain,
    storedPrefix(chain, ctx, d.store.blocks),
    ctx,
    (a, b) => gen.exportKv(a, b),
    d.store.blocks,
    gen,
  );
  return save.then((s) => {
    try {
      d.store.attachBlocks(userMessageId, s.blocks, s.refs);
      return s;
    } catch (err) {
      return failed(err);
    }
  }, failed);
}

/** Why this turn restored less than its history (see CACHE_NOTES), or nothing when it resumed in full. */
function cacheNote(
  store: Store,
  engine: Engine,
  spec: TurnSpec,
  turn: TurnTokens,
  prefix: PrefixReport,
  ctx: KvContext,
): CacheNote | undefined {
  const path = spec.parentId ? (turn.parentPath ?? store.messages.path(spec.parentId)) : [];
  if (path.length === 0) return 'firstMessage';
  if (spec.conv.modelFingerprint && spec.conv.modelFingerprint !== engine.info.fingerprint) return 'otherModel';
  if (turn.droppedMessages > 0) return 'contextTrimmed';
  // regenerating over the user message's stored log: the log was rendered (and its note given) on that turn
  if (turn.logReset && turn.existingLog !== turn.log) {
    // a log rendered anew: messages that never ran here (an import), a changed system prompt, or a reply whose
    // text renders to other tokens than were read (one that ended in a special token, say). The previous log
    // starts with the render made at the path's last reset, or its first message (system prompt first): a new
    // system prompt diverges inside it, a re-rendered reply after it.
    if (path.some((m) => m.tokenIds === null)) return 'importedWithoutCache';
    const renderEnd = (path.findLast((m) => m.logReset) ?? path[0])?.tokenEnd;
    return renderEnd && turn.keptTokens >= renderEnd ? 'historyRerendered' : 'systemPromptChanged';
  }
  if (prefix.restored >= turn.historyTokens) return undefined;
  const lastCodec = [...path].reverse().find((m) => m.stats)?.stats?.codec;
  if (lastCodec && lastCodec !== ctx.codec) return 'codecChanged';
  return 'evicted';
}

function commitReply(
  store: Store,
  engine: Engine,
  spec: TurnSpec,
  userMessage: Message,
  tokenIds: number[],
  tokenEnd: number,
  result: { text: string; stopReason: TurnStats['stopReason'] },
  stats: TurnStats,
  blocks: SnapshotResult,
): Message {
  const { conv } = spec;
  const info = engine.info;
  return store.transaction(() => {
    const [m] = store.commitMessages(conv.id, [
      {
        message: {
          conversationId: conv.id,
          parentId: userMessage.id,
          role: 'assistant',
          content: result.text,
          tokenIds,
          tokenEnd,
          stopReason: result.stopReason,
          stats: { ...stats },
        },
        blocks: blocks.blocks,
        refs: blocks.refs,
      },
    ]);
    if (conv.modelFingerprint !== info.fingerprint || conv.model !== info.name)
      store.conversations.update(conv.id, { model: info.name, modelFingerprint: info.fingerprint });
    // titles are the server's alone: the first message names a chat that still has its default title
    if (!spec.parentId && isDefaultTitle(store.conversations.require(conv.id).title))
      store.conversations.rename(conv.id, titleFrom(spec.userText));
    return m!;
  });
}

const round = (x: number) => Math.round(x * 100) / 100;
const rawOf = (s: SnapshotResult) => s.blocks.reduce((n, b) => n + b.rawBytes, 0);
const storedOf = (s: SnapshotResult) => s.blocks.reduce((n, b) => n + b.storedBytes, 0);
