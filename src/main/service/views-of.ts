/** Store records → the contract's views. */
import { DEFAULT_MAX_TOKENS, type ChatService, type TurnStats as ChatTurnStats } from '../chat/index.ts';
import type { Conversation, Message, Sampling as StoredSampling } from '../store/types.ts';
import type { ConversationView, MessageView, Sampling, TurnStats } from '../../shared/views.ts';

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

/** Finds a folder holding the model with this fingerprint (null: none known here). */
export type ModelLocator = (fingerprint: string) => string | null;

export function conversationView(
  chat: ChatService,
  id: string,
  modelGreedy: boolean,
  locate: ModelLocator = () => null,
): ConversationView {
  const { conversation: c, messages } = chat.getConversation(id);
  const byParent = chat.store.messages.idsByParent(id);
  return {
    ...summary(chat, c),
    systemPrompt: c.systemPrompt,
    sampling: samplingView(c.sampling, modelGreedy),
    codec: c.codec,
    messages: messages.map((m) => messageView(m, byParent)),
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
