// A chat remembers the model it was made with; opened under another model it names that model and the folder
// to switch to, and after the switch its next turn restores its cache instead of re-reading the history.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FIXTURE_MODEL } from '../app/backend.testkit.ts';
import type { ApiClient } from '../../shared/client.ts';
import { openTestService, type TestBackend } from './service.testkit.ts';

const OTHER_MODEL = join(FIXTURE_MODEL, '..', 'tiny-llama-fp16kv');

let backend: TestBackend;
let client: ApiClient;
let close: () => Promise<void>;
before(async () => ({ backend, client, close } = await openTestService()));
after(() => close?.()); // undefined when before() failed: its own error is the one to see

test("a chat made with model A offers A's folder under model B, and resumes its cache after the switch", async () => {
  const a = await client.call('model.status', {});
  assert.equal(a.state, 'ready');
  if (a.state !== 'ready') return;

  const first = await client.call('conversations.create', { title: 'With A' });
  assert.equal(first.model, null, 'no model before the first reply');
  const made = await client.stream('chat.send', { conversationId: first.id, text: 'Hello there' });
  assert.deepEqual(made.conversation.model, { name: a.model.name, fingerprint: a.model.fingerprint, dir: a.model.dir });

  const b = await client.stream('model.open', { dir: OTHER_MODEL });
  assert.equal(b.state, 'ready');
  if (b.state !== 'ready') return;
  assert.notEqual(b.model.fingerprint, a.model.fingerprint, 'two different models');
  const second = await client.call('conversations.create', { title: 'With B' });
  const withB = await client.stream('chat.send', { conversationId: second.id, text: 'Hi B' });
  assert.equal(withB.conversation.model?.fingerprint, b.model.fingerprint);

  // Opened under B, the first chat still names A and where A is (the built-in folder, remembered at load).
  const opened = await client.call('conversations.get', { id: first.id });
  assert.deepEqual(opened.model, { name: a.model.name, fingerprint: a.model.fingerprint, dir: a.model.dir });

  // The offered action: open that folder. The next turn restores the history from the store.
  const back = await client.stream('model.open', { dir: opened.model!.dir! });
  assert.equal(back.state === 'ready' && back.model.fingerprint, a.model.fingerprint);
  await client.call('conversations.get', { id: first.id });
  const resumed = await client.stream('chat.send', { conversationId: first.id, text: 'Back with A' });
  assert.ok(resumed.stats.restoreSource === 'store' || resumed.stats.restoreSource === 'opened');
  assert.equal(resumed.stats.cacheNote, undefined, 'resumed in full: no "another model" note');
  assert.equal(resumed.stats.restoredTokens, resumed.stats.historyTokens);
  assert.ok(resumed.stats.restoredTokens > 0);

  // and the chat made with B now points at B's folder
  const other = await client.call('conversations.get', { id: second.id });
  assert.equal(other.model?.dir, OTHER_MODEL);

  // the folder opened by path is a recent folder; the built-in one has its own button
  const lib = await client.call('models.installed', {});
  assert.deepEqual(
    lib.recent.map((r) => [r.name, r.dir]),
    [['tiny-llama-fp16kv', OTHER_MODEL]],
  );
});

test('a chat whose model is in no known folder says so (dir null)', async () => {
  const conv = await client.call('conversations.create', { title: 'Lost model' });
  await client.stream('chat.send', { conversationId: conv.id, text: 'Hello' });
  backend.chat.store.conversations.update(conv.id, { model: 'gone-model', modelFingerprint: 'f'.repeat(64) });
  const v = await client.call('conversations.get', { id: conv.id });
  assert.deepEqual(v.model, { name: 'gone-model', fingerprint: 'f'.repeat(64), dir: null });
});
