import type { Migration } from './types.ts';

// Where a conversation's KV cache came from. `cache_salt` is set when its blocks were imported from a
// file: they are keyed with this salt (kv/hash.ts, vLLM's cache_salt) so they restore only into this
// conversation, never into another with the same prefix. `cache_verified_at` is when those blocks were
// checked against a local recomputation (chat/verify-cache.ts); null: not verified.
export const m004: Migration = {
  version: 4,
  name: 'cache origin',
  up(db) {
    db.exec(`
      ALTER TABLE conversations ADD COLUMN cache_salt TEXT CHECK (cache_salt IS NULL OR length(cache_salt) = 32);
      ALTER TABLE conversations ADD COLUMN cache_verified_at INTEGER;
    `);
  },
};
