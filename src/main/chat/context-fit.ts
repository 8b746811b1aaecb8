// Fitting a long history into the context window in O(n). Re-rendering and re-tokenizing the kept history
// once per dropped message was quadratic (a 2,000-message import took minutes, and Stop waited for it).
// Here each message is tokenized once for its cost, the cut is binary-searched on those counts, and only
// the chosen cut (and, when the estimate was off, a few neighbours) is rendered exactly. Whole turns are
// dropped from the front; the system prompt stays. Cancellable between steps.
import type { ChatMessage } from '../engine/index.ts';
import type { ChatDelta } from '../engine/chat-delta.ts';
import type { Message } from '../store/types.ts';
import { ChatError } from './types.ts';

/** What the fit needs from the engine: the chat render (+ tokenize) and plain tokenization. */
export interface FitEngine {
  chatDelta(messages: readonly ChatMessage[], log: readonly number[]): Promise<ChatDelta>;
  tokenize(text: string): Promise<number[]>;
}

export interface Fit {
  log: number[];
  /** Messages dropped from the front of `history`. */
  dropped: number;
}

/** Exact renders tried around the estimated cut before falling back to a binary search of exact renders. */
const NEIGHBOURS = 4;

export function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new ChatError(
      'Stopped',
      'the turn was cancelled while fitting the history into the context',
      undefined,
      'cancelled',
    );
}

/**
 * The render of system + history[k:] + user for the smallest k (at a user message, or k = history.length)
 * whose tokens plus `reserve` fit in `contextLength`; when none fits, k = history.length (the caller
 * decides whether that is still usable). `fullTokens`: tokens of the render with nothing dropped.
 */
export async function fitHistory(
  engine: FitEngine,
  o: {
    systemPrompt: string;
    history: readonly Pick<Message, 'role' | 'content'>[];
    user: ChatMessage;
    contextLength: number;
    reserve: number;
    fullTokens: number;
    signal?: AbortSignal;
  },
): Promise<Fit> {
  const h = o.history;
  const n = h.length;
  const sys: ChatMessage[] = o.systemPrompt ? [{ role: 'system', content: o.systemPrompt }] : [];
  const render = async (k: number): Promise<number[]> => {
    checkCancelled(o.signal);
    const msgs = [...sys, ...h.slice(k).map((m) => ({ role: m.role, content: m.content })), o.user];
    return (await engine.chatDelta(msgs, [])).append;
  };
  const fits = (tokens: number) => tokens + o.reserve <= o.contextLength;
  // candidate cuts: turns stay whole
  const cuts: number[] = [];
  for (let k = 1; k <= n; k++) if (k === n || h[k]!.role === 'user') cuts.push(k);
  // 1. each message tokenized once: its content's tokens, plus the template's average per-message overhead
  const counts = new Float64Array(n);
  let content = 0;
  for (let i = 0; i < n; i++) {
    checkCancelled(o.signal);
    counts[i] = (await engine.tokenize(h[i]!.content)).length;
    content += counts[i]!;
  }
  const last = await render(n); // nothing kept: the floor
  if (!fits(last.length) || n === 0) return { log: last, dropped: n };
  const overhead = Math.max(0, (o.fullTokens - last.length - content) / n);
  const suffix = new Float64Array(n + 1); // estimated tokens of history[k:]
  for (let i = n - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + counts[i]! + overhead;
  const estimate = (k: number) => last.length + suffix[k]!;
  // 2. binary search: the first cut whose estimate fits (estimates shrink as k grows)
  let lo = 0;
  let hi = cuts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (fits(estimate(cuts[mid]!))) hi = mid;
    else lo = mid + 1;
  }
  // 3. exact renders near the estimate: forward until one fits, then back while an earlier one fits too
  const exact = new Map<number, number[]>([[cuts.length - 1, last]]);
  const at = async (i: number) => {
    let r = exact.get(i);
    if (!r) exact.set(i, (r = await render(cuts[i]!)));
    return r;
  };
  let i = lo;
  let tries = 0;
  while (!fits((await at(i)).length) && tries++ < NEIGHBOURS) i++;
  if (!fits((await at(i)).length)) {
    // the estimate was far off (an unusual template): binary search on exact renders, O(log n) of them
    let a = i + 1;
    let b = cuts.length - 1;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (fits((await at(mid)).length)) b = mid;
      else a = mid + 1;
    }
    i = a;
  } else {
    for (let back = 0; i > 0 && back < NEIGHBOURS && fits((await at(i - 1)).length); back++) i--;
  }
  return { log: (await at(i))!, dropped: cuts[i]! };
}
