// ChatService.continueReply: going on after a reply cut at the token limit. Real fixture model, real SQLite.
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

test('continuing a reply cut at the token limit writes exactly what an uncut reply would have (greedy)', async () => {
  const t = tmpDir('reprise-continue-');
  cleanups.push(t.cleanup);
  const store = Store.open(t.dir);
  const engine = await Engine.load(fixture('tiny-llama'), { threads: 1, provider: 'cpu', fingerprintCachePath: null });
  const svc = new ChatService({ store, engine, blockSize: 16 });
  cleanups.push(async () => {
    await svc.close();
    await engine.dispose();
    store.close();
  });
  const text = 'Tell me about the sea.';

  // the reference: one reply of 12 tokens
  const whole = svc.createConversation({ sampling: { temperature: 0, maxTokens: 12 } });
  const ref = await svc.sendMessage({ conversationId: whole.id, text });
  assert.equal(ref.stats.stopReason, 'maxTokens', 'the fixture writes past 12 tokens');

  // the same reply cut at 5 tokens, then continued by 7
  const cut = svc.createConversation({ sampling: { temperature: 0, maxTokens: 5 } });
  const first = await svc.sendMessage({ conversationId: cut.id, text });
  assert.equal(first.stats.stopReason, 'maxTokens');
  svc.updateConversation(cut.id, { sampling: { temperature: 0, maxTokens: 7 } });
  const more = await svc.continueReply({ assistantMessageId: first.message.id });

  assert.deepEqual(more.message.tokenIds, ref.message.tokenIds, 'the same 12 tokens as the uncut reply');
  assert.equal(more.message.content, ref.message.content);
  assert.equal(more.message.parentId, first.userMessage.id, 'a sibling of the cut reply, not a new user turn');
  assert.equal(store.messages.count(cut.id), 3, 'user, cut reply, continued reply');
  assert.equal(more.stats.generatedTokens, 7);
  assert.ok(more.stats.prefilledTokens <= 1, `the reply's log was restored, not read (${more.stats.prefilledTokens})`);
  assert.deepEqual(
    svc.getConversation(cut.id).messages.map((m) => m.id),
    [first.userMessage.id, more.message.id],
    'the continued reply is the active one',
  );

  // only a reply can be continued
  await assert.rejects(svc.continueReply({ assistantMessageId: first.userMessage.id }), /Cannot continue/);
});
