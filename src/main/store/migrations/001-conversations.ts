import type { Migration } from './types.ts';

// Conversations and their message tree. `token_ids` is the token log bookkeeping (DESIGN invariant 1):
// the exact ids this message added to the model, uint32 LE; `log_reset` marks a message whose ids are
// the whole log (a context-overflow re-render), so a path's log is the concatenation up to the nearest reset;
// `context_from_id` then names the first path message that re-render kept (older turns were dropped).
export const m001: Migration = {
  version: 1,
  name: 'conversations and message tree',
  up(db) {
    db.exec(`
      CREATE TABLE conversations (
        id TEXT PRIMARY KEY NOT NULL,
        title TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        model TEXT NOT NULL DEFAULT '',
        model_fingerprint TEXT NOT NULL DEFAULT '',
        system_prompt TEXT NOT NULL DEFAULT '',
        sampling TEXT NOT NULL DEFAULT '{}',
        codec TEXT NOT NULL DEFAULT 'exact' CHECK (codec IN ('exact', 'int8', 'int4')),
        active_leaf_id TEXT REFERENCES messages(id) ON DELETE SET NULL
      ) STRICT;
      CREATE TABLE messages (
        n INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        parent_id TEXT REFERENCES messages(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        token_ids BLOB,
        log_reset INTEGER NOT NULL DEFAULT 0 CHECK (log_reset IN (0, 1)),
        context_from_id TEXT,
        token_end INTEGER,
        stop_reason TEXT,
        stats TEXT
      ) STRICT;
      CREATE INDEX messages_by_conversation ON messages(conversation_id, n);
      CREATE INDEX messages_by_parent ON messages(parent_id);
      CREATE INDEX conversations_by_updated ON conversations(updated_at DESC);
    `);
  },
};
