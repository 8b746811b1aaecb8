// An imported conversation whose token ids are outside the model's vocabulary can still be continued:
// the log is re-rendered from the text. Real fixture model, real SQLite.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Engine } from '../engine/index.ts';
import { fixture } from '../engine/fixtures.testkit.ts';
import { exportJsonText } from '../store/exchange/index.ts';
import { Store } from '../store/store.ts';
import { ChatService } from './service.ts';

const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('out-of-vocabulary token ids in an import fall back to re-tokenizing the text', async () => {
  const engine = await Engine.load(fixture('tiny-llama'), { threads: 1, provider: 'cpu', fingerprintCachePath: null });
  cleanups.push(() => engine.dispose());
  const store = Store.open(':memory:');
  const warnings: string[] = [];
  const svc = new ChatService({ store, engine, blockSize: 16, logger: { warn: (m) => void warnings.push(m) } });
  cleanups.push(() => svc.close());
  const sampling = { temperature: 0, maxTokens: 6 };
  const c = svc.createConversation({ systemPrompt: 'Be brief.', sampling });
  await svc.sendMessage({ conversationId: c.id, text: 'Hello there' });
  const file = JSON.parse(exportJsonText(store, [c.id]));
  for (const [i, bad] of [4294967295, engine.info.vocabSize].entries()) {
    const f = structuredClone(file);
    f.conversations[0].messages[i].tokenIds[1] = bad; // tokenEnd stays consistent: only the id is wrong
    const id = svc.importFile(Buffer.from(JSON.stringify(f))).conversationIds[0]!;
    const r = await svc.sendMessage({ conversationId: id, text: 'And then?' });
    assert.equal(r.userMessage.logReset, true, 'the log was rebuilt from the text');
    assert.ok(r.userMessage.tokenIds!.every((t) => t < engine.info.vocabSize));
    assert.ok(r.stats.generatedTokens > 0);
    // regenerating the imported reply's user message works too
    const imported = svc.getConversation(id).messages;
    const again = await svc.regenerate({ conversationId: id, assistantMessageId: imported[1]!.id });
    assert.ok(again.stats.generatedTokens > 0);
  }
  assert.ok(warnings.some((w) => /outside the model's vocabulary/.test(w)));
});
