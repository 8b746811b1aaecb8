import { PUBLISHED } from './conversations.ts';
import type { Db } from './database.ts';

export interface SearchHit {
  conversationId: string;
  conversationTitle: string;
  /** The conversation's, for sorting and display. */
  updatedAt: number;
  messageId: string;
  role: string;
  snippet: string;
}

/** Turns free text into an FTS5 query of quoted terms (no syntax errors from user input); last term is a prefix. */
export function ftsQuery(text: string): string | null {
  const terms = text.split(/\s+/).filter(Boolean).slice(0, 32);
  if (terms.length === 0) return null;
  return terms.map((t, i) => `"${t.replaceAll('"', '""')}"${i === terms.length - 1 ? '*' : ''}`).join(' ');
}

export function searchMessages(db: Db, text: string, limit = 50): SearchHit[] {
  const q = ftsQuery(text);
  if (!q) return [];
  return db
    .prepare(
      `SELECT m.conversation_id AS conversationId, c.title AS conversationTitle, c.updated_at AS updatedAt, m.id AS messageId, m.role AS role,
              snippet(messages_fts, 0, '«', '»', '…', 12) AS snippet
       FROM messages_fts JOIN messages m ON m.n = messages_fts.rowid JOIN conversations c ON c.id = m.conversation_id
       WHERE messages_fts MATCH ? AND ${PUBLISHED('c.id')} ORDER BY rank LIMIT ?`,
    )
    .all(q, limit) as SearchHit[];
}
