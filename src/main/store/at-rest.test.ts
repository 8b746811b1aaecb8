// Data at rest: owner-only permissions, deleted text not left in the file, damage found at start-up.
import assert from 'node:assert/strict';
import { chmodSync, closeSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { serializeError } from '../../shared/errors.ts';
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
    damageAndOpen(t.dir, Buffer.alloc(64, 0xa5), (root - 1) * pageSize + 8, (e) => {
      assert.match(e.cause, /integrity check/);
      assert.match(e.suggestion, /export .*--skip-check/);
    });
    // what can be read is still reachable, on request
    Store.open(t.dir, { skipIntegrityCheck: true }).close();
  } finally {
    t.cleanup();
  }
});

test('a file that is not a database is reported at start-up as damaged, and left as it was', () => {
  const t = tmpDir();
  try {
    Store.open(t.dir).close();
    damageAndOpen(t.dir, Buffer.from('not a database, whatever it was'.padEnd(100, '.')), 0, (e) => {
      assert.match(e.cause, /cannot read .* as a database: file is not a database/);
      assert.match(e.suggestion, /backup/);
      assert.doesNotMatch(e.suggestion, /skip-check/, 'nothing can be exported from it');
    }); // over the header
  } finally {
    t.cleanup();
  }
});

test('SQLite errors keep their meaning through extended codes: a moved database is read-only, an unreadable one damaged', () => {
  const t = tmpDir();
  try {
    const db = new Database(join(t.dir, 'a.db'));
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    renameSync(join(t.dir, 'a.db'), join(t.dir, 'b.db'));
    const moved = catchErr(() => db.exec('INSERT INTO t VALUES (2)'));
    db.close();
    assert.equal((moved as { code: string }).code, 'SQLITE_READONLY_DBMOVED');
    assert.equal(serializeError(moved).code, 'readOnly');
    writeFileSync(join(t.dir, 'c.db'), Buffer.alloc(8192, 0x41));
    const junk = new Database(join(t.dir, 'c.db'));
    const notDb = catchErr(() => junk.pragma('user_version'));
    junk.close();
    assert.equal(serializeError(notDb).code, 'corruptDb');
  } finally {
    t.cleanup();
  }
});

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected an error');
}

/** Writes `bytes` at `at` in the database file; opening it must fail with `check`ed damage and change nothing. */
function damageAndOpen(dir: string, bytes: Buffer, at: number, check: (e: DatabaseDamagedError) => void): void {
  const file = join(dir, DB_FILE);
  const fd = openSync(file, 'r+');
  writeSync(fd, bytes, 0, bytes.length, at);
  closeSync(fd);
  const before = readFileSync(file);
  assert.throws(
    () => Store.open(dir),
    (e: unknown) => {
      assert.ok(e instanceof DatabaseDamagedError, String(e));
      check(e);
      return true;
    },
  );
  assert.ok(readFileSync(file).equals(before), 'the damaged file was modified');
}
