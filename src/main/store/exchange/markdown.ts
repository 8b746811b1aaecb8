// Markdown export of a conversation's active path (what the user sees), for reading, not re-import.
import type { Store } from '../store.ts';

export function exportMarkdown(store: Store, ids?: string[]): string {
  const list = ids ?? store.conversations.list().map((c) => c.id);
  return list.map((id) => conversationMarkdown(store, id)).join('\n---\n\n');
}

function conversationMarkdown(store: Store, id: string): string {
  const c = store.conversations.require(id);
  const out = [
    `# ${oneLine(c.title)}`,
    '',
    `_${new Date(c.createdAt).toISOString()}${c.model ? ` · ${oneLine(c.model)}` : ''}_`,
    '',
  ];
  if (c.systemPrompt) out.push('> **System:** ' + c.systemPrompt.split('\n').join('\n> '), '');
  for (const m of store.messages.path(c.activeLeafId)) {
    out.push(`## ${m.role === 'user' ? 'User' : 'Assistant'}`, '', m.content, '');
  }
  return out.join('\n');
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
