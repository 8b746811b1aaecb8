import type { Migration } from './types.ts';

// Block payloads move to files (block-files.ts); kv_block_data stays only for payloads not yet moved (the
// Store moves them when it opens). A deleted index row leaves its hash in kv_block_gone, by trigger, so the
// file goes too: rows are deleted by SQL alone (ref-count triggers, cascades), where no code can unlink.
export const m008: Migration = {
  version: 8,
  name: 'block files',
  up(db) {
    db.exec(`
      CREATE TABLE kv_block_gone (hash TEXT PRIMARY KEY NOT NULL) STRICT, WITHOUT ROWID;
      CREATE TRIGGER kv_blocks_gone AFTER DELETE ON kv_blocks BEGIN
        INSERT OR IGNORE INTO kv_block_gone (hash) VALUES (OLD.hash);
      END;
    `);
  },
};
