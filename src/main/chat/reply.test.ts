// ChatService.replyTo: a reply to a stored user message that has none. Real fixture model, real SQLite file.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Engine } from '../engine/index.ts';
import { fixture } from '../engine/fixtures.testkit.ts';
import { Store } from '../store/store.ts';
import { tmpDir } from '../store/store.testkit.ts';
import { ChatService } from './service.ts';

const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('replyTo answers a user message left without a reply, without adding another user message', async () => {
  const t = tmpDir('reprise-reply-');
  cleanups.push(t.cleanup);
  const store = Store.open(t.dir);
  const engine = await Engine.load(fixture('tiny-llama'), { threads: 1, provider: 'cpu', fingerprintCachePath: null });
  const svc = new ChatService({ store, engine, blockSize: 16 });
  cleanups.push(async () => {
    await svc.close();
    await engine.dispose();
    store.close();
  });
  // an imported chat whose last message never got a reply (as after a crash mid-reply)
  const now = Date.now();
  const file = {
    format: 'reprise',
    version: 1,
    exportedAt: now,
    conversations: [
      {
        id: 'orphan',
        title: 'Orphan',
        createdAt: now,
        updatedAt: now,
        activeLeafId: 'u1',
        messages: [
          { id: 'u0', parentId: null, role: 'user', content: 'Hello', createdAt: now },
          { id: 'a0', parentId: 'u0', role: 'assistant', content: 'Hi there', createdAt: now + 1 },
          { id: 'u1', parentId: 'a0', role: 'user', content: 'How are you?', createdAt: now + 2 },
        ],
      },
    ],
  };
  const [convId] = svc.importFile(Buffer.from(JSON.stringify(file))).conversationIds;
  const before = svc.getConversation(convId!).messages;
  const userId = before.at(-1)!.id;
  assert.equal(before.at(-1)!.role, 'user');

  const out = await svc.replyTo({ userMessageId: userId });
  assert.equal(out.userMessage.id, userId, 'the stored user message is answered, not copied');
  assert.equal(out.message.parentId, userId);
  const path = svc.getConversation(convId!).messages;
  assert.deepEqual(
    path.map((m) => m.role),
    ['user', 'assistant', 'user', 'assistant'],
  );
  assert.equal(store.messages.count(convId!), 4, 'no second user message');

  // an assistant message is refused with a clear error
  await assert.rejects(svc.replyTo({ userMessageId: out.message.id }), /Cannot reply/);
});
