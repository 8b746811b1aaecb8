import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { createClient } from '../../shared/client.ts';
import type { RpcChannel, ServerMessage } from '../../shared/contract.ts';
import { createService } from '../service/service.ts';
import { testBackend } from '../app/backend.testkit.ts';
import { startBrowserServer, type BrowserServer } from './websocket.ts';

let server: BrowserServer;
let backend: Awaited<ReturnType<typeof testBackend>>;
before(async () => {
  backend = await testBackend();
  const dir = mkdtempSync(join(tmpdir(), 'reprise-ws-'));
  writeFileSync(join(dir, 'index.html'), '<p>hi</p>');
  server = await startBrowserServer({
    service: createService({ backend, transport: 'websocket' }),
    rendererDir: dir,
  });
});
after(async () => {
  await server.close();
  await backend.cleanup();
});

function open(url: string, origin?: string): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
    ws.on('error', reject);
  });
}

test('binds to 127.0.0.1 and prints a URL carrying the token', () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{20,}$/);
});

test('refuses a missing or wrong token, and a foreign Origin', async () => {
  const ws = server.origin.replace('http', 'ws') + '/rpc';
  assert.equal(await open(ws, server.origin), 401);
  assert.equal(await open(`${ws}?token=nope`, server.origin), 401);
  assert.equal(await open(`${ws}?token=${server.token}`, 'http://127.0.0.1:1'), 403);
  assert.equal(await open(`${ws}?token=${server.token}`, 'https://evil.example'), 403);
  assert.equal(await open(`${server.origin.replace('http', 'ws')}/other?token=${server.token}`, server.origin), 404);
});

test('carries the contract for a client with the token', async () => {
  const ws = (await open(
    `${server.origin.replace('http', 'ws')}/rpc?token=${server.token}`,
    server.origin,
  )) as WebSocket;
  const channel: RpcChannel = {
    send: (m) => ws.send(JSON.stringify(m)),
    onMessage(l) {
      const h = (d: Buffer): void => l(JSON.parse(d.toString()) as ServerMessage);
      ws.on('message', h);
      return () => ws.off('message', h);
    },
  };
  const client = createClient(channel);
  const info = await client.call('app.info', {});
  assert.equal(info.transport, 'websocket');
  assert.equal(info.dataDir, backend.dataDir);
  client.close();
  ws.close();
});

test('serves files only from the renderer folder', async () => {
  assert.equal((await fetch(server.origin + '/')).status, 200);
  assert.ok([403, 404].includes((await fetch(server.origin + '/%2e%2e/%2e%2e/etc/passwd')).status));
  assert.equal((await fetch(server.origin + '/..%2f..%2fetc%2fpasswd')).status, 403);
  assert.equal((await fetch(server.origin + '/missing.js')).status, 404);
  assert.equal((await fetch(server.origin + '/', { method: 'POST' })).status, 405);
});
