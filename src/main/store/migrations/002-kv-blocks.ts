import type { Migration } from './types.ts';

// Content-addressed KV blocks. Metadata and payload live apart so LRU scans and usage sums never touch
// the blobs. Ref counts follow message_blocks through triggers; a block nobody references is freed at
// once. kv_usage keeps the stored byte total so the budget check is O(1).
export const m002: Migration = {
  version: 2,
  name: 'kv blocks, references, usage',
  up(db) {
    db.exec(`
      CREATE TABLE kv_blocks (
        hash TEXT PRIMARY KEY NOT NULL,
        parent_hash TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('full', 'tail')),
        token_start INTEGER NOT NULL,
        token_count INTEGER NOT NULL CHECK (token_count > 0),
        codec TEXT NOT NULL CHECK (codec IN ('exact', 'int8', 'int4')),
        fingerprint TEXT NOT NULL,
        raw_bytes INTEGER NOT NULL,
        stored_bytes INTEGER NOT NULL,
        refcount INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX kv_blocks_lru ON kv_blocks(last_used_at, token_start DESC);
      CREATE TABLE kv_block_data (
        hash TEXT PRIMARY KEY NOT NULL REFERENCES kv_blocks(hash) ON DELETE CASCADE,
        data BLOB NOT NULL
      ) STRICT;
      CREATE TABLE message_blocks (
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        block_hash TEXT NOT NULL REFERENCES kv_blocks(hash),
        PRIMARY KEY (message_id, block_hash)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX message_blocks_by_block ON message_blocks(block_hash);
      CREATE TABLE kv_usage (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        stored_bytes INTEGER NOT NULL,
        blocks INTEGER NOT NULL
      ) STRICT;
      INSERT INTO kv_usage VALUES (1, 0, 0);
      CREATE TRIGGER kv_blocks_usage_add AFTER INSERT ON kv_blocks BEGIN
        UPDATE kv_usage SET stored_bytes = stored_bytes + NEW.stored_bytes, blocks = blocks + 1 WHERE id = 1;
      END;
      CREATE TRIGGER kv_blocks_usage_sub AFTER DELETE ON kv_blocks BEGIN
        UPDATE kv_usage SET stored_bytes = stored_bytes - OLD.stored_bytes, blocks = blocks - 1 WHERE id = 1;
      END;
      CREATE TRIGGER message_blocks_ref AFTER INSERT ON message_blocks BEGIN
        UPDATE kv_blocks SET refcount = refcount + 1 WHERE hash = NEW.block_hash;
      END;
      CREATE TRIGGER message_blocks_unref AFTER DELETE ON message_blocks BEGIN
        UPDATE kv_blocks SET refcount = refcount - 1 WHERE hash = OLD.block_hash;
        DELETE FROM kv_blocks WHERE hash = OLD.block_hash AND refcount <= 0;
      END;
    `);
  },
};
