// Long conversations are paged (issue #17): a view carries the last page of the active path, pages before
// and after a loaded message come on request, a message deep in the path opens with its page, and a
// cursor that is not on the path is a clear error.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ApiClient } from '../../shared/client.ts';
import { AppError } from '../../shared/errors.ts';
import { openTestService, type TestBackend } from './service.testkit.ts';
import { PAGE_SIZE } from './views-of.ts';

let backend: TestBackend;
let client: ApiClient;
let close: () => Promise<void>;
let id: string;
const N = 250;
const text = (i: number) => `message ${i}`;

before(async () => {
  ({ backend, client, close } = await openTestService());
  // N messages in a chain, and a second reply to message 9 (a branch beside the active path)
  const messages = Array.from({ length: N }, (_, i) => ({
    id: `m${i}`,
    parentId: i ? `m${i - 1}` : null,
    role: i % 2 ? 'assistant' : 'user',
    content: text(i),
    createdAt: i,
  }));
  messages.push({ id: 'alt', parentId: 'm8', role: 'assistant', content: 'another reply', createdAt: N });
  const conversation = { id: 'c', title: 'paged', createdAt: 1, updatedAt: 2, activeLeafId: `m${N - 1}`, messages };
  const data = JSON.stringify({ format: 'reprise', version: 1, exportedAt: 1, conversations: [conversation] });
  id = (await client.stream('io.import', { filename: 'p.json', encoding: 'utf8', data })).conversationIds[0]!;
});
after(() => close?.()); // undefined when before() failed: its own error is the one to see

test('a view holds the last page; earlier and later pages join it exactly', async () => {
  const v = await client.call('conversations.get', { id });
  assert.equal(v.messages.length, PAGE_SIZE);
  assert.deepEqual(v.page, { from: N - PAGE_SIZE, pathLength: N });
  assert.equal(v.messages.at(-1)!.text, text(N - 1));
  assert.equal(v.messageCount, N + 1);

  const earlier = await client.call('conversations.messages', { id, before: v.messages[0]!.id });
  assert.equal(earlier.from, N - 2 * PAGE_SIZE);
  assert.deepEqual(
    earlier.messages.map((m) => m.text),
    Array.from({ length: PAGE_SIZE }, (_, k) => text(N - 2 * PAGE_SIZE + k)),
  );
  const first = await client.call('conversations.messages', { id, before: earlier.messages[0]!.id });
  assert.equal(first.from, 0);
  assert.equal(first.messages.length, N - 2 * PAGE_SIZE);
  const later = await client.call('conversations.messages', { id, after: first.messages.at(-1)!.id, limit: 3 });
  assert.deepEqual(
    later.messages.map((m) => m.text),
    [text(N - 2 * PAGE_SIZE), text(N - 2 * PAGE_SIZE + 1), text(N - 2 * PAGE_SIZE + 2)],
  );
  // siblings are known on any page
  const m9 = first.messages.find((m) => m.text === text(9))!;
  assert.equal(m9.siblingIds.length, 2);
});

test('opening at a message deep in the path returns the page holding it; a branch switch shows its page', async () => {
  const v = await client.call('conversations.get', { id });
  const early = (await client.call('conversations.messages', { id, before: v.messages[0]!.id })).messages[0]!;
  const around = await client.call('conversations.get', { id, around: early.id });
  assert.ok(around.messages.some((m) => m.id === early.id));
  assert.ok(around.page.from <= N - 2 * PAGE_SIZE && around.page.from > 0);

  const m9 = (await client.call('conversations.get', { id, around: 'nothing-like-it' })).messages; // falls back
  assert.equal(m9.at(-1)!.text, text(N - 1));
  const hit = backend.chat.search('another reply')[0]!;
  const switched = await client.call('messages.switchBranch', { messageId: hit.messageId });
  assert.equal(switched.messages.at(-1)!.text, 'another reply');
  assert.deepEqual(switched.page, { from: 0, pathLength: 10 });
});

test('a cursor that is not on the active path is refused by name', async () => {
  await assert.rejects(
    client.call('conversations.messages', { id, before: 'm200' }),
    (e: unknown) => e instanceof AppError && e.code === 'notFound' && /no longer on this branch/.test(e.title),
  );
});
