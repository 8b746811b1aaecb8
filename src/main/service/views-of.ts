/** Store records → the contract's views. */
import { DEFAULT_MAX_TOKENS, type ChatService, type TurnStats as ChatTurnStats } from '../chat/index.ts';
import type { Conversation, Message, Sampling as StoredSampling } from '../store/types.ts';
import { AppError } from '../../shared/errors.ts';
import type { ConversationView, MessagePage, MessageView, Sampling, TurnStats } from '../../shared/views.ts';

export function samplingView(s: StoredSampling, modelGreedy: boolean): Sampling {
  return {
    temperature: s.temperature ?? (modelGreedy ? 0 : 0.7),
    topK: s.topK ?? 0,
    topP: s.topP ?? 1,
    minP: s.minP ?? 0,
    repetitionPenalty: s.repetitionPenalty ?? 1,
    maxTokens: s.maxTokens ?? DEFAULT_MAX_TOKENS,
    seed: s.seed ?? null,
  };
}

export function statsView(s: ChatTurnStats | Record<string, unknown> | null): TurnStats | null {
  if (!s || typeof s.restoredTokens !== 'number') return null;
  return s as TurnStats;
}

export function messageView(m: Message, byParent: Map<string | null, string[]>): MessageView {
  const siblingIds = byParent.get(m.parentId) ?? [m.id];
  return {
    id: m.id,
    parentId: m.parentId,
    role: m.role,
    text: m.content,
    createdAt: m.createdAt,
    siblingIds,
    siblingIndex: Math.max(0, siblingIds.indexOf(m.id)),
    stats: statsView(m.stats),
  };
}

/** Messages per page of a long conversation (the renderer asks for more as the user scrolls up). */
export const PAGE_SIZE = 100;

/** Where a page starts and ends on the active path. */
export type PageAt = { around?: string; before?: string; after?: string; limit?: number };

/**
 * A page of the conversation's active path: the last one, the one holding `around` (the last one when it
 * is not on the path), or the one just before / after a loaded message. Only that page's rows are read.
 */
export function messagePage(chat: ChatService, id: string, at: PageAt = {}): MessagePage {
  const c = chat.store.conversations.require(id);
  const ids = chat.store.messages.pathIds(c.activeLeafId);
  const n = ids.length;
  const limit = at.limit ?? PAGE_SIZE;
  let from = Math.max(0, n - limit);
  let to = n;
  const cursor = at.before ?? at.after;
  if (cursor !== undefined) {
    const i = ids.indexOf(cursor);
    if (i < 0)
      throw new AppError({
        code: 'notFound',
        title: 'That message is no longer on this branch',
        cause: cursor,
        suggestion: 'Reopen the conversation.',
      });
    [from, to] = at.before !== undefined ? [Math.max(0, i - limit), i] : [i + 1, Math.min(n, i + 1 + limit)];
  } else if (at.around !== undefined) {
    const i = ids.indexOf(at.around);
    // a few messages of context above the one asked for, the rest below
    if (i >= 0) {
      from = Math.max(0, Math.min(i - Math.floor(limit / 4), n - limit));
      to = Math.min(n, from + limit);
    }
  }
  const rows = chat.store.messages.byIds(ids.slice(from, to));
  const byParent = chat.store.messages.childIds(id, [...new Set(rows.map((m) => m.parentId))]);
  return { messages: rows.map((m) => messageView(m, byParent)), from, pathLength: n };
}

/** Finds a folder holding the model with this fingerprint (null: none known here). */
export type ModelLocator = (fingerprint: string) => string | null;

export function conversationView(
  chat: ChatService,
  id: string,
  modelGreedy: boolean,
  around?: string,
  locate: ModelLocator = () => null,
): ConversationView {
  const c = chat.store.conversations.require(id);
  const page = messagePage(chat, id, { around });
  return {
    ...summary(chat, c),
    systemPrompt: c.systemPrompt,
    sampling: samplingView(c.sampling, modelGreedy),
    codec: c.codec,
    messages: page.messages,
    page: { from: page.from, pathLength: page.pathLength },
    cache: chat.cacheInfo(id),
    model: c.modelFingerprint
      ? { name: c.model || 'another model', fingerprint: c.modelFingerprint, dir: locate(c.modelFingerprint) }
      : null,
  };
}

export function summary(chat: ChatService, c: Conversation & { messageCount?: number }) {
  return {
    id: c.id,
    title: c.title,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    messageCount: c.messageCount ?? chat.store.messages.count(c.id),
  };
}
