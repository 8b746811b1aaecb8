import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LATEST_VERSION, migrate, schemaVersion } from './index.ts';

function at(version: number) {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, version);
  assert.equal(schemaVersion(db), version);
  return db;
}
const tables = (db: Database.Database) =>
  (
    db
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type IN ('table') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%fts_%' ORDER BY name",
      )
      .all() as Array<{ name: string }>
  ).map((r) => r.name);

test('migration 1: conversations + message tree, STRICT and cascading', () => {
  const db = at(1);
  assert.deepEqual(tables(db), ['conversations', 'messages']);
  db.prepare("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c', 't', 1, 1)").run();
  db.prepare(
    "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at) VALUES ('m1', 'c', NULL, 'user', 'hi', 1)",
  ).run();
  db.prepare(
    "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at) VALUES ('m2', 'c', 'm1', 'assistant', 'yo', 2)",
  ).run();
  assert.throws(
    () =>
      db
        .prepare(
          "INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES ('x', 'c', 'user', 'hi', 'not a number')",
        )
        .run(),
    /cannot store TEXT/,
  );
  assert.throws(
    () =>
      db
        .prepare(
          "INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES ('y', 'nope', 'user', 'hi', 1)",
        )
        .run(),
    /FOREIGN KEY/,
  );
  assert.throws(
    () =>
      db
        .prepare(
          "INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES ('z', 'c', 'tool', 'hi', 1)",
        )
        .run(),
    /CHECK/,
  );
  db.prepare("DELETE FROM conversations WHERE id = 'c'").run();
  assert.equal((db.prepare('SELECT count(*) n FROM messages').get() as { n: number }).n, 0);
});

test('migration 2: kv blocks with trigger-kept ref counts and usage', () => {
  const db = at(2);
  assert.deepEqual(tables(db), [
    'conversations',
    'kv_block_data',
    'kv_blocks',
    'kv_usage',
    'message_blocks',
    'messages',
  ]);
  db.prepare("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c', 't', 1, 1)").run();
  db.prepare(
    "INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES ('m', 'c', 'user', 'hi', 1)",
  ).run();
  db.prepare("INSERT INTO kv_blocks VALUES ('h', 'p', 'full', 0, 64, 'exact', 'fp', 100, 40, 0, 1, 1)").run();
  db.prepare("INSERT INTO kv_block_data VALUES ('h', x'00')").run();
  db.prepare("INSERT INTO message_blocks VALUES ('m', 'h')").run();
  assert.equal(
    (db.prepare("SELECT refcount FROM kv_blocks WHERE hash = 'h'").get() as { refcount: number }).refcount,
    1,
  );
  assert.deepEqual(db.prepare('SELECT stored_bytes, blocks FROM kv_usage').get(), { stored_bytes: 40, blocks: 1 });
  // deleting the conversation cascades to the reference, and the unreferenced block is freed
  db.prepare("DELETE FROM conversations WHERE id = 'c'").run();
  assert.equal((db.prepare('SELECT count(*) n FROM kv_blocks').get() as { n: number }).n, 0);
  assert.equal((db.prepare('SELECT count(*) n FROM kv_block_data').get() as { n: number }).n, 0);
  assert.deepEqual(db.prepare('SELECT stored_bytes, blocks FROM kv_usage').get(), { stored_bytes: 0, blocks: 0 });
});

test('migration 3: FTS5 index follows inserts, updates, deletes (and indexes existing rows)', () => {
  const db = at(2);
  db.prepare("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c', 't', 1, 1)").run();
  db.prepare(
    "INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES ('old', 'c', 'user', 'pre-existing zebra', 1)",
  ).run();
  migrate(db, 3);
  const hits = (q: string) =>
    (db.prepare('SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?').all(q) as unknown[]).length;
  assert.equal(hits('zebra'), 1);
  db.prepare(
    "INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES ('m', 'c', 'user', 'Crème brûlée recipe', 1)",
  ).run();
  assert.equal(hits('creme'), 1);
  db.prepare("UPDATE messages SET content = 'pancakes' WHERE id = 'm'").run();
  assert.equal(hits('creme'), 0);
  assert.equal(hits('pancakes'), 1);
  db.prepare("DELETE FROM messages WHERE id = 'm'").run();
  assert.equal(hits('pancakes'), 0);
  assert.ok(LATEST_VERSION >= 3);
});

test('migration 4: conversations record an imported cache salt and when it was verified', () => {
  const db = at(3);
  db.prepare("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('old', 't', 1, 1)").run();
  migrate(db, 4);
  // existing conversations computed their own cache
  assert.deepEqual(db.prepare("SELECT cache_salt, cache_verified_at FROM conversations WHERE id = 'old'").get(), {
    cache_salt: null,
    cache_verified_at: null,
  });
  db.prepare(
    "INSERT INTO conversations (id, title, created_at, updated_at, cache_salt) VALUES ('imp', 't', 1, 1, ?)",
  ).run('a'.repeat(32));
  assert.throws(
    () =>
      db
        .prepare(
          "INSERT INTO conversations (id, title, created_at, updated_at, cache_salt) VALUES ('x', 't', 1, 1, 'short')",
        )
        .run(),
    /CHECK/,
  );
  assert.throws(
    () => db.prepare("UPDATE conversations SET cache_verified_at = 'soon' WHERE id = 'imp'").run(),
    /cannot store TEXT/,
  );
});

test("migration 5: the full-text index removes a deleted message's terms at once", () => {
  for (const version of [4, 5]) {
    const db = at(4);
    migrate(db, version);
    db.prepare("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c', 't', 1, 1)").run();
    db.prepare(
      "INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES ('m', 'c', 'user', 'zebracorn pancakes', 1)",
    ).run();
    db.prepare("DELETE FROM messages WHERE id = 'm'").run();
    const left = db
      .prepare("SELECT count(*) n FROM messages_fts_data WHERE instr(block, CAST('zebracorn' AS BLOB)) > 0")
      .get() as { n: number };
    // before: a tombstone, the term still in the index's pages; after: gone
    assert.equal(left.n > 0, version === 4, `version ${version}`);
  }
  assert.ok(LATEST_VERSION >= 5);
});

test('migration 6: API entries own blocks like messages do; a block shared with a chat outlives the entry', () => {
  const db = at(6);
  db.prepare("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c', 't', 1, 1)").run();
  db.prepare(
    "INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES ('m', 'c', 'user', 'hi', 1)",
  ).run();
  db.prepare("INSERT INTO kv_blocks VALUES ('shared', 'p', 'full', 0, 64, 'exact', 'fp', 100, 40, 0, 1, 1)").run();
  db.prepare("INSERT INTO kv_blocks VALUES ('own', 'shared', 'full', 64, 64, 'exact', 'fp', 100, 40, 0, 1, 1)").run();
  db.prepare("INSERT INTO api_entries VALUES ('e', 'prompt', NULL, 'tiny', 1, 1, NULL, NULL)").run();
  db.prepare("INSERT INTO message_blocks VALUES ('m', 'shared')").run();
  db.prepare("INSERT INTO api_entry_blocks VALUES ('e', 'shared'), ('e', 'own')").run();
  const refcount = (h: string) =>
    (db.prepare('SELECT refcount FROM kv_blocks WHERE hash = ?').get(h) as { refcount: number } | undefined)?.refcount;
  assert.equal(refcount('shared'), 2);
  assert.equal(refcount('own'), 1);
  db.prepare("DELETE FROM api_entries WHERE id = 'e'").run();
  assert.equal(refcount('shared'), 1, 'the chat still holds the shared block');
  assert.equal(refcount('own'), undefined, "the entry's own block is freed");
  // dropping a block outright (eviction) removes the entry's reference with it
  db.prepare("INSERT INTO api_entries VALUES ('e2', 'prompt', NULL, 'tiny', 1, 1, NULL, NULL)").run();
  db.prepare("INSERT INTO api_entry_blocks VALUES ('e2', 'shared')").run();
  db.prepare("DELETE FROM message_blocks WHERE block_hash = 'shared'").run();
  db.prepare("DELETE FROM kv_blocks WHERE hash = 'shared'").run();
  assert.equal((db.prepare('SELECT count(*) n FROM api_entry_blocks').get() as { n: number }).n, 0);
  assert.deepEqual(db.prepare('SELECT stored_bytes, blocks FROM kv_usage').get(), { stored_bytes: 0, blocks: 0 });
});

test('migration 7: the fp16 codec is accepted by conversations and blocks, on a WAL file whose rows survive', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-m7-'));
  const file = join(dir, 'reprise.db');
  try {
    let db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    migrate(db, 6);
    db.prepare("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('old', 't', 1, 1)").run();
    db.prepare("INSERT INTO kv_blocks VALUES ('h0', 'p', 'full', 0, 64, 'exact', 'fp', 100, 40, 0, 1, 1)").run();
    const fp16Conv =
      "INSERT INTO conversations (id, title, created_at, updated_at, codec) VALUES ('new', 't', 1, 1, 'fp16')";
    assert.throws(() => db.prepare(fp16Conv).run(), /CHECK constraint failed/);
    migrate(db, 7);
    db.close();
    db = new Database(file); // another connection reads the widened schema from the file
    db.pragma('foreign_keys = ON');
    assert.equal(schemaVersion(db), 7);
    db.prepare(fp16Conv).run();
    db.prepare("INSERT INTO kv_blocks VALUES ('h1', 'h0', 'full', 64, 64, 'fp16', 'fp', 100, 20, 0, 1, 1)").run();
    assert.throws(
      () => db.prepare("INSERT INTO kv_blocks VALUES ('h2', 'h1', 'full', 128, 64, 'fp8', 'fp', 1, 1, 0, 1, 1)").run(),
      /CHECK constraint failed/,
    );
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(db.prepare('SELECT id, codec FROM conversations ORDER BY id').all(), [
      { id: 'new', codec: 'fp16' },
      { id: 'old', codec: 'exact' },
    ]);
    // the ref-count triggers still run on the edited table
    db.prepare(
      "INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES ('m', 'new', 'user', 'hi', 1)",
    ).run();
    db.prepare("INSERT INTO message_blocks VALUES ('m', 'h1')").run();
    assert.equal(
      (db.prepare("SELECT refcount FROM kv_blocks WHERE hash = 'h1'").get() as { refcount: number }).refcount,
      1,
    );
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
