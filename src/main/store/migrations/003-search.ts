import type { Migration } from './types.ts';

// Full-text search over message text: an external-content FTS5 index keyed by messages.n (an explicit
// INTEGER PRIMARY KEY, so VACUUM cannot renumber it), kept in sync by triggers.
export const m003: Migration = {
  version: 3,
  name: 'full-text search',
  up(db) {
    db.exec(`
      CREATE VIRTUAL TABLE messages_fts USING fts5(
        content, content='messages', content_rowid='n', tokenize='unicode61 remove_diacritics 2'
      );
      INSERT INTO messages_fts(rowid, content) SELECT n, content FROM messages;
      CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, content) VALUES (NEW.n, NEW.content);
      END;
      CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', OLD.n, OLD.content);
      END;
      CREATE TRIGGER messages_fts_au AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', OLD.n, OLD.content);
        INSERT INTO messages_fts(rowid, content) VALUES (NEW.n, NEW.content);
      END;
    `);
  },
};
