// Block payloads as files beside the database: they follow their index rows in and out (deletes by
// triggers included), a crash's leftovers go at the next start, older databases' blobs move out, and only a
// block hash ever names a file.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { asBlockHash } from '../kv/hash.ts';
import { tokenLog } from '../kv/synth.testkit.ts';
import { migrate } from './migrations/index.ts';
import { Store } from './store.ts';
import { testCtx, tmpDir, writeTurn } from './store.testkit.ts';

const files = (s: Store) => readdirSync(s.blocks.files.dir).sort();
const indexed = (s: Store) =>
  (s.db.prepare('SELECT hash FROM kv_blocks ORDER BY hash').all() as Array<{ hash: string }>).map((r) => r.hash);

test('each indexed block is one file of its stored size; deleting a conversation removes its files', async () => {
  const t = tmpDir();
  try {
    const s = Store.open(t.dir);
    const a = s.conversations.create({ title: 'a', modelFingerprint: testCtx.fingerprint });
    const b = s.conversations.create({ title: 'b', modelFingerprint: testCtx.fingerprint });
    await writeTurn(s, a.id, null, tokenLog(40, 1), [1, 2]);
    await writeTurn(s, b.id, null, tokenLog(40, 2), [3, 4]);
    assert.deepEqual(files(s), indexed(s));
    for (const h of indexed(s)) assert.equal(s.blocks.files.size(h), s.blocks.info(h)!.storedBytes);
    const ofB = indexed(s).length;
    s.conversations.delete(a.id); // rows go by cascade and ref-count triggers, not through BlockRepo
    s.close();
    const s2 = Store.open(t.dir);
    assert.deepEqual(files(s2), indexed(s2), 'the freed blocks\u2019 files are gone');
    assert.ok(indexed(s2).length < ofB);
    s2.close();
  } finally {
    t.cleanup();
  }
});

test('blocks dropped or evicted lose their files at once', async () => {
  const s = Store.open(':memory:');
  try {
    const c = s.conversations.create({ title: 't', modelFingerprint: testCtx.fingerprint });
    await writeTurn(s, c.id, null, tokenLog(60, 3), [1, 2]);
    const [h0, h1] = indexed(s);
    s.blocks.drop([h0!]);
    assert.equal(existsSync(s.blocks.blockPath(asBlockHash(h0!))), false);
    s.enforceBudget(0);
    assert.deepEqual(files(s), []);
    assert.equal(s.blocks.blockData(asBlockHash(h1!)), undefined);
  } finally {
    s.close();
  }
});

test('at start-up: files no row names and temporary files go once old; a young one may be another process\u2019s', async () => {
  const t = tmpDir();
  try {
    const s = Store.open(t.dir);
    const c = s.conversations.create({ title: 't', modelFingerprint: testCtx.fingerprint });
    await writeTurn(s, c.id, null, tokenLog(40, 4), [1, 2]);
    const kept = files(s);
    const dir = s.blocks.files.dir;
    s.close();
    const old = (Date.now() - 3600_000) / 1000;
    const orphan = join(dir, 'a'.repeat(64));
    const tmp = join(dir, `${'b'.repeat(64)}.123-m0.tmp`);
    const young = join(dir, 'c'.repeat(64));
    for (const f of [orphan, tmp, young]) writeFileSync(f, 'x');
    utimesSync(orphan, old, old);
    utimesSync(tmp, old, old);
    const s2 = Store.open(t.dir);
    assert.deepEqual(files(s2), [...kept, 'c'.repeat(64)].sort());
    s2.close();
  } finally {
    t.cleanup();
  }
});

test('a database from before block files: its blobs move out to files when it opens, and restore as before', async () => {
  const t = tmpDir();
  try {
    // the blocks as a version-7 database held them: payloads in kv_block_data
    const s = Store.open(t.dir);
    const c = s.conversations.create({ title: 't', modelFingerprint: testCtx.fingerprint });
    await writeTurn(s, c.id, null, tokenLog(40, 5), [1, 2]);
    const blobs = indexed(s).map((h) => [h, Buffer.from(s.blocks.blockData(asBlockHash(h))!)] as const);
    s.close();
    const db = new Database(join(t.dir, 'reprise.db'));
    db.exec('DROP TRIGGER kv_blocks_gone; DROP TABLE kv_block_gone; PRAGMA user_version = 7');
    const put = db.prepare('INSERT INTO kv_block_data (hash, data) VALUES (?, ?)');
    for (const [h, data] of blobs) put.run(h, data);
    db.close();
    for (const [h] of blobs) writeFileSync(join(t.dir, 'reprise.db-kv', h), 'stale'); // moved out again below
    const s2 = Store.open(t.dir);
    assert.equal((s2.db.prepare('SELECT count(*) AS n FROM kv_block_data').get() as { n: number }).n, 0);
    for (const [h, data] of blobs) assert.deepEqual(Buffer.from(s2.blocks.blockData(asBlockHash(h))!), data);
    s2.close();
  } finally {
    t.cleanup();
  }
});

test('migration 8 records deleted block rows for their files', () => {
  const db = new Database(':memory:');
  migrate(db);
  db.prepare("INSERT INTO kv_blocks VALUES ('h0', 'p', 'full', 0, 64, 'exact', 'fp', 100, 40, 0, 1, 1)").run();
  db.prepare("DELETE FROM kv_blocks WHERE hash = 'h0'").run();
  assert.deepEqual(db.prepare('SELECT hash FROM kv_block_gone').all(), [{ hash: 'h0' }]);
  db.close();
});

test('only a block hash names a file', () => {
  const s = Store.open(':memory:');
  try {
    for (const bad of ['../reprise.db', 'a'.repeat(63), `${'a'.repeat(64)}/x`, 'A'.repeat(64)])
      assert.throws(() => s.blocks.files.path(bad), /not a block hash/);
  } finally {
    s.close();
  }
});
