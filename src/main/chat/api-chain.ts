// A Responses-API chain opened as a chat: its messages become a conversation whose last message carries
// the chain's exact token log, so the chat's next turn extends that log and restores the chain's stored
// blocks (the API saved them on the same hash chain) instead of re-reading the history.
import { randomUUID } from 'node:crypto';
import type { ApiEntry } from '../store/api-entries.ts';
import type { Store } from '../store/store.ts';
import type { Conversation } from '../store/types.ts';
import { titleFrom } from '../../shared/title.ts';
import type { Codec } from '../../shared/vocabulary.ts';
import { ChatError } from './types.ts';

/** What a stored response keeps (local-api/responses.ts writes it). */
interface StoredChain {
  response: { instructions?: string | null; model?: string };
  messages: Array<{ role: string; content: string }>;
}

export function conversationFromChain(store: Store, entry: ApiEntry, codec: Codec): Conversation {
  if (entry.kind !== 'response' || !entry.body || !entry.tokenLog)
    throw new ChatError('Cannot open this response', `${entry.id} is not a stored response`, undefined, 'notFound');
  const chain = JSON.parse(entry.body) as StoredChain;
  // the chat holds user and assistant turns; system/developer input lives in the system prompt only
  const turns = chain.messages.filter((m) => m.role === 'user' || m.role === 'assistant');
  if (turns.length === 0) throw new ChatError('Cannot open this response', 'it has no messages', undefined, 'notFound');
  const first = turns.find((m) => m.role === 'user')?.content ?? '';
  return store.transaction(() => {
    const conv = store.conversations.create({
      title: titleFrom(first),
      systemPrompt: chain.response.instructions ?? '',
      codec,
      model: entry.model,
    });
    const ids = turns.map(() => randomUUID());
    store.commitMessages(
      conv.id,
      turns.map((m, i) => {
        const last = i === turns.length - 1;
        return {
          message: {
            id: ids[i],
            conversationId: conv.id,
            parentId: i === 0 ? null : ids[i - 1]!,
            role: m.role as 'user' | 'assistant',
            content: m.content,
            // the whole chain's log on the last message: what the next turn extends (DESIGN invariant 1)
            tokenIds: last ? entry.tokenLog : null,
            logReset: last,
            contextFromId: last ? ids[0]! : null,
            tokenEnd: last ? entry.tokenLog!.length : null,
          },
        };
      }),
    );
    return store.conversations.require(conv.id);
  });
}
