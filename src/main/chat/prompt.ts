// Building the token log of a new turn (DESIGN invariant 1) and fitting it into the context window.
import type { ChatMessage } from '../engine/index.ts';
import type { Message } from '../store/types.ts';
import { type FitEngine, checkCancelled, fitHistory } from './context-fit.ts';
import { ChatError } from './types.ts';

export interface TurnLog {
  /** The whole token log the reply is generated after. */
  log: number[];
  /** What the user message stores: its delta, or the whole log when `logReset`. */
  userTokenIds: number[];
  logReset: boolean;
  /** Tokens of the previous log this one starts with (all of it unless the render diverged or none ran). */
  keptTokens: number;
  /** With logReset: the first path message kept in the log. */
  contextFromId: string | null;
  droppedMessages: number;
  /** The first and last dropped messages' openings (which turns were left out), when any were. */
  droppedSpan?: [first: string, last: string];
}

/** The most a reply is promised before history is dropped for it. */
export const MAX_REPLY_RESERVE = 512;
/** Below this much room for the reply, the oldest turns are dropped (up to the full reserve). */
export const MIN_REPLY_ROOM = 64;

/**
 * Tokens kept free for the reply when the history is trimmed: what max-tokens asks, at most 512 and a
 * quarter of the context (a reply limit of 4,096 must not throw away half a 8k context's history).
 */
export function replyReserve(maxTokens: number, contextLength: number): number {
  return Math.max(1, Math.min(maxTokens, MAX_REPLY_RESERVE, Math.floor(contextLength / 4)));
}

const opening = (s: string) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 60 ? `${t.slice(0, 59).trimEnd()}…` : t;
};

function chatMessages(systemPrompt: string, msgs: readonly Pick<Message, 'role' | 'content'>[]): ChatMessage[] {
  const out: ChatMessage[] = systemPrompt ? [{ role: 'system', content: systemPrompt }] : [];
  for (const m of msgs) out.push({ role: m.role, content: m.content });
  return out;
}

/**
 * @param history  path messages before the user message that are in `prevLog` (the context window)
 * @param prevLog  the exact token log after `history`, or null when some message never ran (imports)
 * @param reserve  tokens to keep free for the reply (replyReserve). History is dropped only when the whole
 *                 of it leaves less than MIN_REPLY_ROOM (or `reserve`, if smaller), and then just enough
 *                 whole turns to make `reserve` free: a history that fits is never cut to make room.
 * The engine only renders and tokenizes here (FitEngine), each message once even when history is dropped.
 */
export async function buildTurnLog(
  engine: FitEngine,
  o: {
    systemPrompt: string;
    history: Message[];
    userId: string;
    userText: string;
    prevLog: number[] | null;
    contextLength: number;
    reserve: number;
    /** The turn's signal: Stop cancels the fit between steps. */
    signal?: AbortSignal;
  },
): Promise<TurnLog> {
  checkCancelled(o.signal);
  const user = { role: 'user' as const, content: o.userText };
  let t: TurnLog;
  if (o.prevLog) {
    const d = await engine.chatDelta(chatMessages(o.systemPrompt, [...o.history, user]), o.prevLog);
    t =
      d.keep === o.prevLog.length
        ? {
            log: [...o.prevLog, ...d.append],
            userTokenIds: d.append,
            logReset: false,
            keptTokens: d.keep,
            contextFromId: null,
            droppedMessages: 0,
          }
        : {
            log: [...o.prevLog.slice(0, d.keep), ...d.append],
            userTokenIds: [],
            logReset: true,
            keptTokens: d.keep,
            contextFromId: o.history[0]?.id ?? o.userId,
            droppedMessages: 0,
          };
  } else {
    const d = await engine.chatDelta(chatMessages(o.systemPrompt, [...o.history, user]), []);
    t = {
      log: d.append,
      userTokenIds: [],
      logReset: true,
      keptTokens: 0,
      contextFromId: o.history[0]?.id ?? o.userId,
      droppedMessages: 0,
    };
  }
  if (t.log.length + Math.min(o.reserve, MIN_REPLY_ROOM) > o.contextLength) t = await dropOldest(engine, o, t);
  if (t.logReset) t.userTokenIds = t.log;
  return t;
}

/** Context overflow: drop whole turns from the front (the system prompt stays) until it fits (context-fit.ts). */
async function dropOldest(engine: FitEngine, o: Parameters<typeof buildTurnLog>[1], t: TurnLog): Promise<TurnLog> {
  let best = t;
  if (o.history.length) {
    const user = { role: 'user' as const, content: o.userText };
    const fit = await fitHistory(engine, { ...o, user, fullTokens: t.log.length });
    best = {
      log: fit.log,
      userTokenIds: [],
      logReset: true,
      keptTokens: 0,
      contextFromId: o.history[fit.dropped]?.id ?? o.userId,
      droppedMessages: fit.dropped,
      ...(fit.dropped > 0 && {
        droppedSpan: [opening(o.history[0]!.content), opening(o.history[fit.dropped - 1]!.content)],
      }),
    };
  }
  if (best.log.length >= o.contextLength) {
    throw new ChatError(
      'Message too long for the model',
      `the prompt needs ${best.log.length} tokens; the model's context window is ${o.contextLength}`,
      'Shorten the message or the system prompt.',
      'contextTooSmall',
    );
  }
  return best; // fits, with less room than asked for the reply (generation stops at 'contextFull')
}
