import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClient } from './client.ts';
import type { ClientMessage, RpcChannel } from './contract.ts';
import { AppError } from './errors.ts';

/** A channel whose other side has gone: messages are dropped, as a closed WebSocket drops them. */
function deadChannel(): RpcChannel & { sent: ClientMessage[] } {
  const sent: ClientMessage[] = [];
  return { sent, send: (m) => void sent.push(m), onMessage: () => () => {} };
}

test('after close, calls and streams fail at once with connectionClosed instead of waiting forever', async () => {
  const channel = deadChannel();
  const client = createClient(channel);
  const pending = client.call('app.info', {});
  client.close();
  const closed = (e: unknown) => e instanceof AppError && e.code === 'connectionClosed';
  await assert.rejects(pending, closed);
  // what a failed turn does next (reload the chat) must not hang on the dead connection
  await assert.rejects(client.call('conversations.get', { id: 'x' }), closed);
  await assert.rejects(Promise.resolve(client.stream('chat.send', { conversationId: 'x', text: 'hi' })), closed);
  assert.equal(channel.sent.length, 1, 'nothing is sent after close');
});
