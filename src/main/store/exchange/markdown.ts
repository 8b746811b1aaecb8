// Markdown export of a conversation's active path (what the user sees), for reading, not re-import.
// The export's own structure is # title, ## User / ## Assistant; a message's headings are demoted by two
// levels (# -> ###, capped at ######) so that none outranks the turn it belongs to.
import { Lexer } from 'marked';
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
    out.push(`## ${m.role === 'user' ? 'User' : 'Assistant'}`, '', demoteHeadings(m.content), '');
  }
  return out.join('\n');
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Top-level ATX and setext headings two levels down; everything else (code blocks included) as written. */
export function demoteHeadings(content: string): string {
  if (!/^ {0,3}#|\n ?[=-]/m.test(content)) return content; // no heading-like line: nothing to parse
  return Lexer.lex(content, { gfm: true })
    .map((t) => {
      if (t.type !== 'heading') return t.raw;
      const trailing = /\n*$/.exec(t.raw)![0];
      return `${'#'.repeat(Math.min(6, t.depth + 2))} ${oneLine(t.text)}${trailing}`;
    })
    .join('');
}
