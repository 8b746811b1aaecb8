import type { Migration } from './types.ts';

// The local API's own records. Requests that are not conversations still own the KV blocks they saved
// (refcounted like a message's), so a long system prompt stays cached across restarts and is shared, by
// content, with chats that start the same way. 'response' entries are the stateful Responses API: the
// chain (previous_id), the exact token log after the response, and the response object as returned.
export const m006: Migration = {
  version: 6,
  name: 'local API entries',
  up(db) {
    db.exec(`
      CREATE TABLE api_entries (
        id TEXT PRIMARY KEY NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('prompt', 'response')),
        previous_id TEXT,
        model TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        token_log BLOB,
        body TEXT
      ) STRICT;
      CREATE INDEX api_entries_lru ON api_entries(kind, last_used_at);
      CREATE TABLE api_entry_blocks (
        entry_id TEXT NOT NULL REFERENCES api_entries(id) ON DELETE CASCADE,
        block_hash TEXT NOT NULL REFERENCES kv_blocks(hash) ON DELETE CASCADE,
        PRIMARY KEY (entry_id, block_hash)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX api_entry_blocks_by_block ON api_entry_blocks(block_hash);
      CREATE TRIGGER api_entry_blocks_ref AFTER INSERT ON api_entry_blocks BEGIN
        UPDATE kv_blocks SET refcount = refcount + 1 WHERE hash = NEW.block_hash;
      END;
      CREATE TRIGGER api_entry_blocks_unref AFTER DELETE ON api_entry_blocks BEGIN
        UPDATE kv_blocks SET refcount = refcount - 1 WHERE hash = OLD.block_hash;
        DELETE FROM kv_blocks WHERE hash = OLD.block_hash AND refcount <= 0;
      END;
    `);
  },
};
