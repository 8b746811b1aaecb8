// Data at rest: owner-only permissions, deleted text not left in the file, damage found at start-up.
import assert from 'node:assert/strict';
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { DatabaseDamagedError } from './database.ts';
import { DB_FILE, Store } from './store.ts';
import { tmpDir } from './store.testkit.ts';

const mode = (p: string) => statSync(p).mode & 0o777;

test('the data folder is created 0700 and the database files are 0600', { skip: process.platform === 'win32' }, () => {
  const t = tmpDir();
  try {
    const data = join(t.dir, 'Reprise');
    const s = Store.open(data);
    s.conversations.create({ title: 'private' });
    assert.equal(mode(data), 0o700);
    assert.equal(mode(join(data, DB_FILE)), 0o600);
    assert.equal(mode(join(data, `${DB_FILE}-wal`)), 0o600);
    s.close();
    // an existing database with loose permissions is tightened on open
    const loose = join(t.dir, 'loose');
    Store.open(loose).close();
    chmodSync(join(loose, DB_FILE), 0o644);
    Store.open(loose).close();
    assert.equal(mode(join(loose, DB_FILE)), 0o600);
  } finally {
    t.cleanup();
  }
});

test("a deleted conversation's text does not stay in the database file", () => {
  const t = tmpDir();
  try {
    const s = Store.open(t.dir);
    assert.equal(s.db.pragma('secure_delete', { simple: true }), 1);
    const c = s.conversations.create({ title: 'secret' });
    const marker = 'quixotic-marmalade-'.repeat(200);
    s.messages.insert({ conversationId: c.id, parentId: null, role: 'user', content: marker });
    s.db.pragma('wal_checkpoint(TRUNCATE)');
    const file = join(t.dir, DB_FILE);
    assert.ok(readFileSync(file).includes('quixotic-marmalade'));
    s.conversations.delete(c.id);
    s.db.pragma('wal_checkpoint(TRUNCATE)');
    s.close();
    assert.ok(!readFileSync(file).includes('quixotic'), 'the text is still in the file');
  } finally {
    t.cleanup();
  }
});

test('a damaged database is reported at start-up with what to do, and left as it was', () => {
  const t = tmpDir();
  try {
    const s = Store.open(t.dir);
    const c = s.conversations.create({ title: 'x' });
    for (let i = 0; i < 400; i++)
      s.messages.insert({ conversationId: c.id, parentId: null, role: 'user', content: `message ${i} `.repeat(20) });
    s.close();
    const file = join(t.dir, DB_FILE);
    const raw = new Database(file, { readonly: true });
    const pageSize = raw.pragma('page_size', { simple: true }) as number;
    const root = (
      raw.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'messages'").get() as { rootpage: number }
    ).rootpage;
    raw.close();
    // scribble over the messages table's root page (an interior page once there are 400 rows)
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, (root - 1) * pageSize + 8);
    closeSync(fd);
    const before = readFileSync(file);
    assert.throws(
      () => Store.open(t.dir),
      (e: unknown) => {
        assert.ok(e instanceof DatabaseDamagedError, String(e));
        assert.match(e.cause, /integrity check/);
        assert.match(e.suggestion, /export .*--skip-check/);
        return true;
      },
    );
    assert.ok(readFileSync(file).equals(before), 'the damaged file was modified');
    // what can be read is still reachable, on request
    Store.open(t.dir, { skipIntegrityCheck: true }).close();
  } finally {
    t.cleanup();
  }
});
