// One chat turn: token log -> restore the longest cached prefix -> prefill only the rest -> save the
// prefix (a crash mid-reply keeps it) -> stream the reply -> commit reply + token ids + blocks atomically.
import { randomUUID } from 'node:crypto';
import type { Engine, Generator } from '../engine/index.ts';
import { type KvLogger, modelKvContext } from '../kv/context.ts';
import { storedPrefix } from '../kv/resume.ts';
import { type SnapshotResult, snapshotRange } from '../kv/snapshot.ts';
import type { Store } from '../store/store.ts';
import { titleFrom } from '../../shared/title.ts';
import type { Conversation, Message } from '../store/types.ts';
import { type TurnLog, buildTurnLog } from './prompt.ts';
import { restorePrefix } from './restore.ts';
import { DEFAULT_MAX_TOKENS, engineSampling } from './sampling.ts';
import { ChatError, type ChatEvent, type TurnHandlers, type TurnOutcome, type TurnStats } from './types.ts';

export interface TurnDeps {
  store: Store;
  engine: Engine;
  generator: () => Promise<Generator>;
  logger: KvLogger;
  blockSize: number;
  cacheBudgetMb: number;
  /** The engine's state came from this conversation's blocks when it was opened (ChatService.warmUp). */
  opened?: { conversationId: string; ms: number } | null;
}

export interface TurnSpec {
  conv: Conversation;
  /** Parent of the user message (null: first message). */
  parentId: string | null;
  userText: string;
  /** Regenerate: reply again to this stored user message instead of adding one. */
  existingUser?: Message;
}

export async function runTurn(d: TurnDeps, spec: TurnSpec, h: TurnHandlers): Promise<TurnOutcome> {
  const emit = (e: ChatEvent) => h.onEvent?.(e);
  const t0 = performance.now();
  const { store, engine } = d;
  const info = engine.info;
  const conv = spec.conv;
  const ctx = modelKvContext(info, conv.codec, d.blockSize);
  const maxTokens = conv.sampling.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (conv.modelFingerprint && conv.modelFingerprint !== info.fingerprint) {
    d.logger.warn('chat: conversation was cached with another model; its blocks cannot be reused, prefilling', {
      conversationId: conv.id,
    });
  }

  // 1. the exact token log this reply follows (invariant 1)
  const userId = spec.existingUser?.id ?? randomUUID();
  const existingLog = spec.existingUser ? store.messages.tokenLog(spec.existingUser.id) : null;
  let turn: TurnLog;
  if (spec.existingUser && existingLog && existingLog.length < info.contextLength) {
    turn = {
      log: existingLog,
      userTokenIds: spec.existingUser.tokenIds!,
      logReset: spec.existingUser.logReset,
      contextFromId: spec.existingUser.contextFromId,
      droppedMessages: 0,
    };
  } else {
    const path = store.messages.path(spec.parentId);
    const history = path.slice(store.messages.contextWindow(path).start);
    const prevLog = spec.parentId ? store.messages.tokenLog(spec.parentId) : [];
    turn = await buildTurnLog(engine, {
      systemPrompt: conv.systemPrompt,
      history,
      userId,
      userText: spec.userText,
      prevLog,
      contextLength: info.contextLength,
      reserve: Math.min(maxTokens, Math.floor(info.contextLength / 4)),
    });
  }
  const N = turn.log.length;
  // a partial tail block is stored where the previous save ended: the parent's log end
  const parentEnd = spec.existingUser ? null : spec.parentId && !turn.logReset ? N - turn.userTokenIds.length : null;
  const tailEnds = parentEnd ? [parentEnd, N] : [N];

  // 2. restore: the live engine state or stored blocks, whichever covers more (at most N-1: the last
  //    token must run to give logits)
  emit({ type: 'progress', phase: 'restore', done: 0, total: N });
  const tR = performance.now();
  const gen = await d.generator();
  const r = await restorePrefix(gen, turn.log, ctx, store, {
    maxTokens: N - 1,
    tailEnds,
    logger: d.logger,
  });
  const { restored } = r;
  if (gen.tokenCount > restored) await gen.rewindTo(restored);
  // what the engine held was read from the store when the chat was opened: say so, with that restore's time
  const opened = r.source === 'live' && d.opened?.conversationId === conv.id ? d.opened : null;
  const source: TurnStats['restoreSource'] = opened ? 'opened' : r.source;
  const restoreMs = opened ? opened.ms : performance.now() - tR;
  emit({ type: 'progress', phase: 'restore', done: restored, total: N });

  // 3. prefill only what is not restored
  const delta = turn.log.slice(restored);
  const tP = performance.now();
  try {
    await gen.appendTokens(delta, {
      signal: h.signal,
      onProgress: (done, total) => emit({ type: 'progress', phase: 'prefill', done, total }),
    });
  } catch (err) {
    if ((err as { code?: string }).code === 'cancelled')
      throw new ChatError('Stopped', 'the turn was cancelled while reading the message', undefined, 'cancelled');
    throw err;
  }
  const prefillMs = performance.now() - tP;

  // 4. the user message commits now; its prefix blocks are exported now (a copy, queued in the engine
  //    before generation) and encoded + attached while the reply streams, so a cold turn's TTFT does
  //    not wait for compression. A crash mid-reply keeps the message and, once attached, the prefix.
  const exportKv = (a: number, b: number) => gen.exportKv(a, b);
  const prefixSave = snapshotRange(turn.log, storedPrefix(turn.log, ctx, store.blocks), ctx, exportKv, store.blocks);
  prefixSave.catch(() => undefined); // observed below; this only keeps an early throw from leaving it unhandled
  let userMessage: Message;
  if (!spec.existingUser) {
    userMessage = store.commitMessages(conv.id, [
      {
        message: {
          id: userId,
          conversationId: conv.id,
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
  } else {
    const u = spec.existingUser;
    if (existingLog !== turn.log)
      store.messages.setRun(u.id, {
        tokenIds: turn.userTokenIds,
        tokenEnd: N,
        logReset: turn.logReset,
        contextFromId: turn.contextFromId,
      });
    userMessage = store.messages.require(u.id);
  }
  // Never rejects: a failed prompt save (a full disk, say) costs a re-prefill later, not the turn.
  const attached = prefixSave.then(
    (s1) => {
      try {
        store.attachBlocks(userMessage.id, s1.blocks, s1.refs);
        return s1;
      } catch (err) {
        d.logger.warn(`chat: saving the prompt's KV blocks failed: ${(err as Error).message}`);
        return null;
      }
    },
    (err: unknown) => {
      d.logger.warn(`chat: saving the prompt's KV blocks failed: ${(err as Error).message}`);
      return null;
    },
  );
  emit({ type: 'progress', phase: 'prefill', done: delta.length, total: delta.length, userMessageId: userMessage.id });

  // 5. stream the reply
  let tFirst = 0;
  let written = 0;
  const result = await gen.generate({
    sampling: engineSampling(conv.sampling, info.generationDefaults),
    maxTokens,
    signal: h.signal,
    onFragment: (f) => {
      if (!tFirst && f.tokenId !== null) tFirst = performance.now();
      if (f.tokenId !== null) written++;
      // the live "Writing… N tokens" status: sent with the text, so it costs no extra wake-ups
      if (f.text) {
        emit({ type: 'progress', phase: 'generate', done: written, total: maxTokens });
        emit({ type: 'fragment', text: f.text });
      }
    },
  });

  // 6. the reply, its token ids and its blocks in one transaction (invariant 5)
  const s1 = await attached;
  const full = [...gen.tokens];
  const s2 = await snapshotRange(full, N, ctx, exportKv, store.blocks);
  const stats: TurnStats = {
    restoredTokens: restored,
    prefilledTokens: delta.length,
    restoreMs: round(restoreMs),
    prefillMs: round(prefillMs),
    ttftMs: round((tFirst || performance.now()) - t0),
    generatedTokens: result.generatedTokens,
    decodeTokS: round(result.decodeTokS),
    stopReason: result.stopReason,
    codec: conv.codec,
    snapshotRawBytes: (s1 ? rawOf(s1) : 0) + rawOf(s2),
    snapshotStoredBytes: (s1 ? storedOf(s1) : 0) + storedOf(s2),
    droppedMessages: turn.droppedMessages,
    contextTokens: full.length,
    contextLength: info.contextLength,
    restoreSource: source,
  };
  const message = store.transaction(() => {
    const [m] = store.commitMessages(conv.id, [
      {
        message: {
          conversationId: conv.id,
          parentId: userMessage.id,
          role: 'assistant',
          content: result.text,
          tokenIds: full.slice(N),
          tokenEnd: full.length,
          stopReason: result.stopReason,
          stats: { ...stats },
        },
        blocks: s2.blocks,
        refs: s2.refs,
      },
    ]);
    if (conv.modelFingerprint !== info.fingerprint || conv.model !== info.name)
      store.conversations.update(conv.id, { model: info.name, modelFingerprint: info.fingerprint });
    if (conv.title === 'New chat' && !spec.parentId) store.conversations.rename(conv.id, titleFrom(spec.userText));
    return m!;
  });
  store.enforceBudget(d.cacheBudgetMb);
  const outcome: TurnOutcome = { conversationId: conv.id, userMessage, message, stats };
  emit({ type: 'success', conversationId: conv.id, userMessage, message, stats });
  return outcome;
}

const round = (x: number) => Math.round(x * 100) / 100;
const rawOf = (s: SnapshotResult) => s.blocks.reduce((n, b) => n + b.rawBytes, 0);
const storedOf = (s: SnapshotResult) => s.blocks.reduce((n, b) => n + b.data.length, 0);
