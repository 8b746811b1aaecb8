import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ApiClient } from '../../shared/client.ts';
import { AppError } from '../../shared/errors.ts';
import { openTestService, type TestBackend } from './service.testkit.ts';
import type { AppEvent } from '../../shared/views.ts';

let backend: TestBackend;
let client: ApiClient;
let close: () => Promise<void>;
before(async () => ({ backend, client, close } = await openTestService()));
after(() => close?.()); // undefined when before() failed: its own error is the one to see

test('a folder that is not a model gets a clear error and the working model stays loaded', async () => {
  const events: AppEvent[] = [];
  const sub = client.stream('app.events', {});
  const collecting = (async () => {
    for await (const e of sub) events.push(e);
  })();
  const empty = mkdtempSync(join(tmpdir(), 'not-a-model-'));
  writeFileSync(join(empty, 'readme.txt'), 'hello');
  const status = await client.stream('model.open', { dir: empty });
  assert.equal(status.state, 'error');
  if (status.state !== 'error') return;
  assert.match(status.error.title, /./);
  assert.ok(status.error.suggestion, 'the error says what to do');
  assert.equal(status.previous?.name, 'tiny-llama', 'the previous model is still the active one');
  assert.equal((await client.call('model.status', {})).state, 'error');

  // Chatting still works on the model that stayed loaded.
  const conv = await client.call('conversations.create', {});
  const turn = await client.stream('chat.send', { conversationId: conv.id, text: 'Hi' });
  assert.equal(turn.conversation.messages.length, 2);

  sub.cancel();
  await collecting;
  assert.deepEqual(
    events.filter((e) => e.type === 'model').map((e) => (e.type === 'model' ? e.status.state : '')),
    ['loading', 'error'],
  );
});

test('a typed model folder: ~ is the home folder, and a relative path is refused (not read from the cwd)', async () => {
  const missing = `reprise-no-such-model-${process.pid}`;
  const status = await client.stream('model.open', { dir: `~/${missing}` });
  assert.equal(status.state, 'error');
  assert.equal(status.state === 'error' && status.dir, join(homedir(), missing));
  await assert.rejects(
    async () => await client.stream('model.open', { dir: 'src' }),
    (e: unknown) => {
      assert.ok(e instanceof AppError && e.code === 'badArgument', String(e));
      assert.match(e.title, /full path/);
      return true;
    },
  );
});

test('native dialogs are refused in browser mode with a suggestion', async () => {
  const info = await client.call('app.info', {});
  assert.equal(info.nativeDialogs, false);
  await assert.rejects(
    client.call('native.chooseModelFolder', {}),
    (e: unknown) => e instanceof AppError && /browser mode/.test(e.title) && !!e.suggestion,
  );
});

test('a turn streams fragments, progress and a result with stats; the conversation records it', async () => {
  const conv = await client.call('conversations.create', { title: 'Stats' });
  const phases = new Set<string>();
  const p = client.stream('chat.send', { conversationId: conv.id, text: 'Tell me something' });
  p.onProgress((pr) => phases.add(pr.phase));
  let streamed = '';
  for await (const f of p) streamed += f;
  const r = await p;
  assert.ok(phases.has('prefill'));
  assert.equal(r.stats.restoredTokens + r.stats.prefilledTokens, r.stats.contextTokens - r.stats.generatedTokens);
  const reply = r.conversation.messages.at(-1)!;
  assert.equal(reply.role, 'assistant');
  assert.equal(reply.text, streamed, 'what streamed is what was stored');
  const listed = await client.call('conversations.list', {});
  assert.ok(listed.some((c) => c.id === conv.id && c.messageCount === 2));
});

test('opening a conversation warms its cache in the engine', async () => {
  const send = async (conversationId: string, text: string) => {
    const p = client.stream('chat.send', { conversationId, text });
    for await (const _ of p);
    return p;
  };
  const a = await client.call('conversations.create', { title: 'Warm A' });
  const end = (await send(a.id, 'Tell me about the sea')).stats.contextTokens;
  const b = await client.call('conversations.create', { title: 'Warm B' });
  await send(b.id, 'Something else entirely'); // the engine now holds B
  await client.call('conversations.get', { id: a.id });
  // queued behind the warm-up that opening A started: it finds A's whole log already in the engine
  assert.deepEqual(await backend.chat.warmUp(a.id).then((w) => [w.source, w.restoredTokens]), ['live', end]);
});

test('a full disk fails the turn with a clear error, and nothing already saved is lost', async (t) => {
  const conv = await client.call('conversations.create', { title: 'Disk' });
  const first = await client.stream('chat.send', { conversationId: conv.id, text: 'Remember the number 17.' });
  // A real full disk where the KV blocks go: a 64 KB file system mounted over the block folder.
  const kv = backend.chat.store.blocks.files.dir;
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', kv]).status !== 0)
    return t.skip('mounting a small tmpfs needs root with mount rights; not available here');
  try {
    await assert.rejects(
      Promise.resolve(client.stream('chat.send', { conversationId: conv.id, text: 'tell me more '.repeat(60) })),
      (e: unknown) => e instanceof AppError && /^The disk is (almost )?full$/.test(e.title) && !!e.suggestion,
    );
  } finally {
    assert.equal(spawnSync('umount', [kv]).status, 0);
  }
  const db = backend.chat.store.db;
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  const after = await client.call('conversations.get', { id: conv.id });
  assert.deepEqual(
    after.messages.slice(0, 2).map((m) => m.text),
    first.conversation.messages.map((m) => m.text),
  );
  // And the conversation carries on once there is room again.
  const next = await client.stream('chat.send', { conversationId: conv.id, text: 'What number?' });
  assert.equal(next.conversation.messages.at(-1)!.role, 'assistant');
});

test('the CPU threads setting takes effect at once: the model reloads with the new count', async () => {
  const target = backend.chat.engine?.info.threads === 1 ? 2 : 1;
  const events: AppEvent[] = [];
  const sub = client.stream('app.events', {});
  const collecting = (async () => {
    for await (const e of sub) events.push(e);
  })();
  await client.call('settings.update', { threads: target });
  // the reload is announced like any load; wait for the model to be ready again
  for (let i = 0; i < 200 && !events.some((e) => e.type === 'model' && e.status.state === 'ready'); i++)
    await new Promise((r) => setTimeout(r, 25));
  const after = await client.call('model.status', {});
  assert.equal(after.state, 'ready');
  if (after.state === 'ready') assert.equal(after.model.threads, target, 'the loaded model runs with the new count');
  assert.equal(backend.chat.engine?.info.threads, target, 'and the chat uses that engine');
  assert.equal((await client.call('settings.get', {})).threads, target);
  // a turn runs on the reloaded engine
  const conv = await client.call('conversations.create', {});
  const turn = await client.stream('chat.send', { conversationId: conv.id, text: 'Hi again' });
  assert.equal(turn.conversation.messages.length, 2);
  sub.cancel();
  await collecting;
});
