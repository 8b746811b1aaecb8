// The "Verify imported caches in the background" setting, through the service with a real bundle (a real
// turn on the fixture model, exported, crafted, imported): the import answers at once with the cache
// "imported from a file"; the verification runs afterwards, replaces the crafted block, and the
// conversation then shows as verified (and an app event says so).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ApiClient } from '../../shared/client.ts';
import { packBundle, signFlipped, unpackBundle } from '../store/exchange/bundle.testkit.ts';
import type { AppEvent } from '../../shared/views.ts';
import { openTestService, type TestBackend } from './service.testkit.ts';

let backend: TestBackend;
let client: ApiClient;
let close: () => Promise<void>;
before(async () => ({ backend, client, close } = await openTestService()));
after(() => close?.()); // undefined when before() failed: its own error is the one to see

async function bundle(): Promise<string> {
  const conv = await client.call('conversations.create', { systemPrompt: 'You are a terse assistant.' });
  await client.call('conversations.update', { id: conv.id, sampling: { temperature: 0, maxTokens: 8 } });
  await client.stream('chat.send', { conversationId: conv.id, text: 'Hi, my name is Bob. Please remember it.' });
  const file = await client.stream('io.export', { conversationId: conv.id, format: 'bundle' });
  // a crafted body (sign bits flipped, every checksum re-signed): verification must replace it
  const { manifest, payloads } = unpackBundle(Buffer.from(file.data, 'base64'));
  payloads[0] = await signFlipped(payloads[0]!);
  return packBundle(manifest, payloads).toString('base64');
}

test('off (the default): an imported cache stays unverified', async () => {
  assert.equal((await client.call('settings.get', {})).verifyImports, false);
  const r = await client.stream('io.import', { filename: 'a.reprise', encoding: 'base64', data: await bundle() });
  await backend.verifier.close(); // nothing queued: returns at once
  const v = await client.call('conversations.get', { id: r.conversationIds[0]! });
  assert.equal(v.cache.origin, 'file');
});

test(
  'on: verified in the background after the import answers, crafted block replaced, UI told',
  { timeout: 60_000 },
  async () => {
    assert.equal((await client.call('settings.update', { verifyImports: true })).verifyImports, true);
    const events: AppEvent[] = [];
    const sub = client.stream('app.events', {});
    const collecting = (async () => {
      for await (const e of sub) events.push(e);
    })();
    const data = await bundle();
    let verified: (r: { conversationId: string; replacedBlocks: number }) => void;
    const done = new Promise<{ conversationId: string; replacedBlocks: number }>((resolve) => (verified = resolve));
    const off = backend.verifier.onVerified((r) => verified(r));

    const r = await client.stream('io.import', { filename: 'b.reprise', encoding: 'base64', data });
    const id = r.conversationIds[0]!;
    // the import's answer did not wait for the verification
    assert.equal((await client.call('conversations.get', { id })).cache.origin, 'file');

    const result = await done;
    off();
    assert.equal(result.conversationId, id);
    assert.ok(result.replacedBlocks >= 1, 'the sign-flipped block was replaced');
    assert.equal((await client.call('conversations.get', { id })).cache.origin, 'file-verified');
    await new Promise((resolve) => setImmediate(resolve));
    sub.cancel();
    await collecting;
    assert.ok(events.some((e) => e.type === 'cacheVerified' && e.conversationId === id));
  },
);

test('deleting the conversation while its verification waits behind a turn: no event, nothing fails', async () => {
  const data = await bundle();
  // hold the engine with a turn so that the verification waits in the queue
  const conv = await client.call('conversations.create', {});
  await client.call('conversations.update', { id: conv.id, sampling: { temperature: 0, maxTokens: 16 } });
  const turn = client.stream('chat.send', { conversationId: conv.id, text: 'Tell me a story.' });
  const r = await client.stream('io.import', { filename: 'c.reprise', encoding: 'base64', data });
  const id = r.conversationIds[0]!;
  let heard = false;
  const off = backend.verifier.onVerified((v) => (heard ||= v.conversationId === id));
  await client.call('conversations.delete', { id });
  await turn;
  await backend.verifier.close();
  off();
  assert.equal(heard, false);
});
