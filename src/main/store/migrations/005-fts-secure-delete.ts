import type { Migration } from './types.ts';

// Deleting a conversation must not leave its words behind. `PRAGMA secure_delete` (database.ts) zeroes
// freed pages, but FTS5 records a delete as a tombstone and keeps the term in older index segments until
// a merge; its own secure-delete option removes the entries at once (SQLite >= 3.44).
export const m005: Migration = {
  version: 5,
  name: 'full-text index secure delete',
  up(db) {
    db.exec(`INSERT INTO messages_fts(messages_fts, rank) VALUES ('secure-delete', 1);`);
  },
};
