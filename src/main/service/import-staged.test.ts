// Imports are written between other requests (issue #17: 99,990 messages blocked everything for 17.9 s):
// a request made while a large import runs is answered before the import ends, and never lists it half-way.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ApiClient } from '../../shared/client.ts';
import { Store } from '../store/store.ts';
import { importFileStaged } from '../store/exchange/index.ts';
import { openTestService, type TestBackend } from './service.testkit.ts';

let backend: TestBackend;
let client: ApiClient;
let close: () => Promise<void>;
before(async () => ({ backend, client, close } = await openTestService()));
after(() => close?.()); // undefined when before() failed: its own error is the one to see

/** A Reprise JSON file: one conversation of `n` messages in one chain. */
function bigExport(n: number, title = 'big'): string {
  const messages = Array.from({ length: n }, (_, i) => ({
    id: `m${i}`,
    parentId: i ? `m${i - 1}` : null,
    role: i % 2 ? 'assistant' : 'user',
    content: `message ${i} about the weather and the sea`,
    createdAt: 1_700_000_000_000 + i,
  }));
  const conversation = {
    id: 'c',
    title,
    createdAt: 1,
    updatedAt: 2,
    model: '',
    modelFingerprint: '',
    systemPrompt: '',
    sampling: {},
    codec: 'exact',
    activeLeafId: `m${n - 1}`,
    messages,
  };
  return JSON.stringify({ format: 'reprise', version: 1, exportedAt: 1, conversations: [conversation] });
}

test('a list request made while a large import runs is answered before the import completes', async () => {
  const order: string[] = [];
  const prediction = client.stream('io.import', {
    filename: 'big.json',
    encoding: 'utf8',
    data: bigExport(5_000),
    again: true,
  });
  // once the import is writing (a slice committed), ask for the list
  const writing = new Promise<void>((resolve) => prediction.onProgress((p) => p.phase === 'write' && resolve()));
  const importing = prediction.then((r) => (order.push('import'), r));
  await Promise.race([writing, importing]);
  const listed = await client.call('conversations.list', {});
  order.push('list');
  assert.equal(
    listed.some((c) => c.title === 'big'),
    false,
    'a conversation being imported is not listed',
  );
  assert.equal(backend.chat.search('weather').length, 0, 'nor found by search');
  const r = await importing;
  assert.deepEqual(order, ['list', 'import']);
  const after = await client.call('conversations.list', {});
  const big = after.find((c) => c.id === r.conversationIds[0]);
  assert.equal(big?.messageCount, 5_000);
});

test('a staged import that fails leaves nothing; a crash mid-import is discarded at the next start', async () => {
  const store = backend.chat.store;
  const before = store.conversations.count();
  const allBefore = store.db.prepare('SELECT count(*) FROM conversations').pluck().get();
  await assert.rejects(
    importFileStaged(store, Buffer.from(bigExport(3_000, 'fails')), {
      sliceMs: 1,
      onProgress: (done) => {
        if (done > 1_000) throw new Error('disk went away');
      },
    }),
    /disk went away/,
  );
  assert.equal(store.conversations.count(), before);
  assert.equal(store.db.prepare('SELECT count(*) FROM conversations').pluck().get(), allBefore, 'no staging rows');

  // a crash: staging rows left in a database file are gone when it is next opened
  const dir = `${backend.dataDir}/crash`;
  const s1 = Store.open(dir);
  const half = importFileStaged(s1, Buffer.from(bigExport(3_000, 'crashed')), { sliceMs: 1 });
  while (s1.db.prepare(`SELECT count(*) FROM messages`).pluck().get() === 0) await new Promise((r) => setImmediate(r));
  const s2 = Store.open(dir); // "after the restart", while s1 is frozen mid-import
  assert.equal(s2.conversations.count(), 0);
  assert.equal(s2.db.prepare('SELECT count(*) FROM messages').pluck().get(), 0);
  s2.close();
  await half.catch(() => undefined); // its rows were discarded under it: it fails, it does not publish
  s1.close();
});

test('a conversation longer than SQLite trigger depth (2,000 messages in a chain) can be deleted', () => {
  const store = backend.chat.store;
  const r = backend.chat.importFile(Buffer.from(bigExport(2_000, 'long')));
  assert.equal(store.conversations.delete(r.conversationIds[0]!), true);
  assert.equal(store.messages.count(r.conversationIds[0]!), 0);
});
