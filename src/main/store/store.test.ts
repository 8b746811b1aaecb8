import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { chainFor } from '../kv/hash.ts';
import { planRestore } from '../kv/restore.ts';
import { concatSlices } from '../kv/codec/tensors.ts';
import { synthKv, tokenLog } from '../kv/synth.testkit.ts';
import { LATEST_VERSION } from './migrations/index.ts';
import { SchemaTooNewError } from './migrations/index.ts';
import { DB_FILE, Store } from './store.ts';
import { testCtx, testLayout, tmpDir, writeTurn } from './store.testkit.ts';

const logger = { warn() {} };
const mkdirP = (d: string): string => (mkdirSync(d, { recursive: true }), d);

test('opens with WAL + foreign keys on a real file', () => {
  const t = tmpDir();
  try {
    const s = Store.open(t.dir);
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(s.db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(s.db.pragma('user_version', { simple: true }), LATEST_VERSION);
    s.close();
  } finally {
    t.cleanup();
  }
});

test('a new database has 64 KB pages; an older file keeps its 4 KB pages; both checkpoint at 64 MB of WAL', () => {
  const t = tmpDir();
  try {
    const s = Store.open(t.dir);
    assert.equal(s.db.pragma('page_size', { simple: true }), 65536);
    assert.equal(s.db.pragma('wal_autocheckpoint', { simple: true }), 1024);
    s.close();
    const old = join(t.dir, 'old');
    const raw = new Database(join(mkdirP(old), DB_FILE));
    raw.pragma('page_size = 4096');
    raw.exec('CREATE TABLE earlier (x)'); // a file created before: its page size is fixed
    raw.close();
    const o = Store.open(old);
    assert.equal(o.db.pragma('page_size', { simple: true }), 4096);
    assert.equal(o.db.pragma('wal_autocheckpoint', { simple: true }), 16384);
    const c = o.conversations.create({ title: 'still works' });
    assert.equal(o.conversations.require(c.id).title, 'still works');
    o.close();
  } finally {
    t.cleanup();
  }
});

test('the WAL is checkpointed once writes pause, not inside the commit', async () => {
  const t = tmpDir();
  try {
    const s = Store.open(t.dir, { checkpointIdleMs: 50 });
    const db = join(t.dir, DB_FILE);
    const before = statSync(db).size;
    const c = s.conversations.create({ title: 'big' });
    const content = 'word '.repeat(400_000); // 2 MB: far more than the database file holds so far
    s.commitMessages(c.id, [{ message: { conversationId: c.id, parentId: null, role: 'user', content } }]);
    assert.ok(statSync(db).size < before + 1_000_000, 'the commit left its pages in the WAL');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(statSync(db).size > before + 2_000_000, 'the idle checkpoint copied them into the database');
    assert.equal(s.messages.get(s.conversations.require(c.id).activeLeafId!)?.content.length, content.length);
    s.close();
  } finally {
    t.cleanup();
  }
});

test('a database from a newer version is refused with a clear error and left unmodified', () => {
  const t = tmpDir();
  try {
    const file = join(t.dir, 'reprise.db');
    const raw = new Database(file);
    raw.exec('CREATE TABLE future (x INTEGER) STRICT; INSERT INTO future VALUES (42);');
    raw.pragma('user_version = 99');
    raw.close();
    const before = createHash('sha256').update(readFileSync(file)).digest('hex');
    assert.throws(
      () => Store.open(t.dir),
      (e: Error) =>
        e instanceof SchemaTooNewError && /newer version of Reprise/.test(e.message) && /version 99/.test(e.message),
    );
    assert.equal(createHash('sha256').update(readFileSync(file)).digest('hex'), before);
    const again = new Database(file, { readonly: true });
    assert.equal(again.pragma('journal_mode', { simple: true }), 'delete'); // no WAL switch happened
    again.close();
  } finally {
    t.cleanup();
  }
});

test('message tree: branches on edit/regenerate, active path, token logs', async () => {
  const s = Store.open(':memory:');
  const c = s.conversations.create({ title: 'Tree', systemPrompt: 'be brief', sampling: { temperature: 0.7 } });
  const t1 = await writeTurn(s, c.id, null, [1, 2, 3], [4, 5]);
  const t2 = await writeTurn(s, c.id, t1.asst.id, [6, 7], [8]);
  assert.deepEqual(s.messages.tokenLog(t2.asst.id), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(s.conversations.require(c.id).activeLeafId, t2.asst.id);
  // edit the second user message: a sibling branch
  const e = await writeTurn(s, c.id, t1.asst.id, [9], [10], 'edited');
  assert.deepEqual(
    s.messages.siblings(e.user.id).map((m) => m.id),
    [t2.user.id, e.user.id],
  );
  assert.deepEqual(
    s.messages.path(s.conversations.require(c.id).activeLeafId).map((m) => m.content),
    ['hello', 'reply to hello', 'edited', 'reply to edited'],
  );
  // switching back: the newest leaf under the old branch
  s.conversations.setActiveLeaf(c.id, s.messages.newestLeaf(t2.user.id));
  assert.equal(s.conversations.require(c.id).activeLeafId, t2.asst.id);
  // log reset (context overflow re-render): the log starts over at that message
  const r = s.commitMessages(c.id, [
    {
      message: {
        conversationId: c.id,
        parentId: t2.asst.id,
        role: 'user',
        content: 'x',
        tokenIds: [1, 2, 99],
        logReset: true,
        tokenEnd: 3,
      },
    },
  ]);
  assert.deepEqual(s.messages.tokenLog(r[0]!.id), [1, 2, 99]);
  // a message that never ran has no log
  const un = s.messages.insert({ conversationId: c.id, parentId: r[0]!.id, role: 'assistant', content: 'imported' });
  assert.equal(s.messages.tokenLog(un.id), null);
  assert.throws(
    () => s.messages.insert({ conversationId: 'other', parentId: un.id, role: 'user', content: 'x' }),
    /not in conversation/,
  );
  assert.deepEqual(s.conversations.require(c.id).sampling, { temperature: 0.7 });
  s.close();
});

test('only a new message moves a chat up the list: rename, settings and switching branches keep its place', () => {
  const s = Store.open(':memory:');
  const old = s.conversations.create({ title: 'Old', createdAt: 1000 });
  const m = s.commitMessages(old.id, [
    { message: { conversationId: old.id, parentId: null, role: 'user', content: 'a' } },
  ]);
  s.db.prepare('UPDATE conversations SET updated_at = 1000 WHERE id = ?').run(old.id);
  const recent = s.conversations.create({ title: 'Recent', createdAt: 2000 });
  const order = () => s.conversations.list().map((c) => c.title);
  assert.deepEqual(order(), ['Recent', 'Old']);
  s.conversations.rename(old.id, 'Old, renamed');
  s.conversations.update(old.id, { systemPrompt: 'be brief', sampling: { temperature: 0.5 } });
  s.conversations.setActiveLeaf(old.id, m[0]!.id);
  assert.deepEqual(order(), ['Recent', 'Old, renamed']);
  assert.equal(s.conversations.require(old.id).updatedAt, 1000);
  s.commitMessages(old.id, [
    { message: { conversationId: old.id, parentId: m[0]!.id, role: 'assistant', content: 'b' } },
  ]);
  assert.deepEqual(order(), ['Old, renamed', 'Recent']);
  s.close();
  void recent;
});

test('FTS search finds messages by words and prefixes; user syntax cannot break the query', async () => {
  const s = Store.open(':memory:');
  const a = s.conversations.create({ title: 'Cooking' });
  const b = s.conversations.create({ title: 'Travel' });
  s.messages.insert({ conversationId: a.id, parentId: null, role: 'user', content: 'How do I make crème brûlée?' });
  s.messages.insert({ conversationId: b.id, parentId: null, role: 'user', content: 'Trains from Lyon to Marseille' });
  assert.deepEqual(
    s.search('creme').map((h) => h.conversationTitle),
    ['Cooking'],
  );
  assert.deepEqual(
    s.search('marseil').map((h) => h.conversationTitle),
    ['Travel'],
  );
  assert.match(s.search('lyon')[0]!.snippet, /«Lyon»/);
  for (const weird of ['"', 'AND OR NOT', '(*)', 'a:b', "'; DROP TABLE messages; --", ''])
    assert.doesNotThrow(() => s.search(weird));
  s.close();
});

test('identical prefixes are stored once; ref counts; deleting frees only unshared blocks', async () => {
  const s = Store.open(':memory:');
  const prefix = tokenLog(40, 3); // 2 full blocks of 16 + tail
  const a = s.conversations.create({});
  const b = s.conversations.create({});
  const ta = await writeTurn(s, a.id, null, prefix, [7, 7, 7]);
  const tb = await writeTurn(s, b.id, null, prefix, [8, 8, 8]);
  const chain = chainFor(prefix, 16, testCtx.extra);
  for (const blk of chain.slice(0, 2)) assert.equal(s.blocks.info(blk.hash)!.refcount, 2, 'shared full block');
  // the user message's partial tail was released once its reply saved
  assert.equal(s.blocks.info(chain[2]!.hash), undefined);
  const restoreA = await planRestore(ta.log, testCtx, s.blocks, { logger });
  assert.equal(restoreA.restoredTokens, ta.log.length);
  assert.deepEqual(concatSlices(restoreA.slices), synthKv(testLayout, 0, ta.log));
  const before = s.blocks.usage().blocks;
  s.conversations.delete(a.id);
  for (const blk of chain.slice(0, 2)) assert.equal(s.blocks.info(blk.hash)!.refcount, 1);
  assert.equal(s.blocks.usage().blocks, before - 1); // only a's own tail went
  assert.equal((await planRestore(tb.log, testCtx, s.blocks, { logger })).restoredTokens, tb.log.length);
  s.conversations.delete(b.id);
  assert.deepEqual(s.blocks.usage(), { storedBytes: 0, rawBytes: 0, blocks: 0 });
  assert.equal(s.blocks.usedBytes(), 0);
  s.close();
});

test('budget eviction drops least recently used blocks, later chain blocks first; resume degrades to a prefix', async () => {
  const s = Store.open(':memory:');
  const old = s.conversations.create({});
  const recent = s.conversations.create({});
  const to = await writeTurn(s, old.id, null, tokenLog(64, 1), [1]);
  s.blocks.touch(s.blocks.refs(to.user.id), 1000);
  s.blocks.touch(s.blocks.refs(to.asst.id), 1000);
  const tr = await writeTurn(s, recent.id, null, tokenLog(64, 2), [2]);
  const used = s.blocks.usedBytes();
  const perBlock = used / s.blocks.usage().blocks;
  const freed = s.enforceBudget((used - perBlock * 1.5) / (1024 * 1024));
  assert.ok(freed >= perBlock * 1.5);
  assert.ok(s.blocks.usedBytes() <= used - perBlock * 1.5);
  // the old conversation lost its *last* blocks, so it still restores a prefix
  const ro = await planRestore(to.log, testCtx, s.blocks, { logger });
  assert.ok(ro.restoredTokens > 0 && ro.restoredTokens < to.log.length, `restored ${ro.restoredTokens}`);
  assert.equal((await planRestore(tr.log, testCtx, s.blocks, { logger })).restoredTokens, tr.log.length);
  s.enforceBudget(0);
  assert.equal(s.blocks.usedBytes(), 0);
  assert.equal(s.messages.count(), 4); // messages survive eviction; only cache goes
  s.close();
});

test('a failing write rolls back the whole turn', async () => {
  const s = Store.open(':memory:');
  const c = s.conversations.create({});
  const log = tokenLog(20, 4);
  const { snapshotRange } = await import('../kv/save.ts');
  const { synthExporter } = await import('../kv/synth.testkit.ts');
  const snap = await snapshotRange(log, 0, testCtx, synthExporter(testLayout, log), s.blocks);
  assert.throws(() =>
    s.commitMessages(c.id, [
      {
        message: { conversationId: c.id, parentId: null, role: 'user', content: 'a', tokenIds: log, tokenEnd: 20 },
        blocks: snap.blocks,
        refs: snap.refs,
      },
      { message: { conversationId: c.id, parentId: 'missing-parent', role: 'assistant', content: 'b' } },
    ]),
  );
  assert.equal(s.messages.count(), 0);
  assert.equal(s.blocks.usage().blocks, 0);
  assert.equal(s.conversations.require(c.id).activeLeafId, null);
  s.close();
});
