// Browser mode's HTTP surface: only loopback Host names are served (DNS rebinding), and the renderer
// folder's files only, symbolic links out of it included. A real server on 127.0.0.1.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { createService } from '../service/service.ts';
import { testBackend } from '../app/backend.testkit.ts';
import { type BrowserServer, startBrowserServer } from './websocket.ts';

let server: BrowserServer;
let backend: Awaited<ReturnType<typeof testBackend>>;
let dir: string;
let outside: string;
before(async () => {
  backend = await testBackend();
  dir = mkdtempSync(join(tmpdir(), 'reprise-guard-'));
  outside = mkdtempSync(join(tmpdir(), 'reprise-secret-'));
  writeFileSync(join(dir, 'index.html'), '<p>hi</p>');
  writeFileSync(join(dir, 'inside.txt'), 'fine');
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  symlinkSync(join(outside, 'secret.txt'), join(dir, 'leak.txt'));
  symlinkSync(outside, join(dir, 'leakdir'));
  symlinkSync(join(dir, 'inside.txt'), join(dir, 'alias.txt'));
  server = await startBrowserServer({ service: createService({ backend, transport: 'websocket' }), rendererDir: dir });
});
after(async () => {
  await server.close();
  await backend.cleanup();
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

function get(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('only loopback Host names are served', async () => {
  const p = server.port;
  for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `LOCALHOST:${p}`, `[::1]:${p}`])
    assert.equal((await get('/', host)).status, 200, host);
  for (const host of [`evil.example:${p}`, 'evil.example', `127.0.0.1.nip.io:${p}`, `localhost:${p + 1}`])
    assert.equal((await get('/', host)).status, 421, JSON.stringify(host));
});

test('the WebSocket refuses a rebound Host even with the right token and no Origin', async () => {
  const status = await new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rpc?token=${server.token}`, {
      headers: { host: `rebind.example:${server.port}` },
    });
    ws.on('open', () => resolve(101));
    ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
    ws.on('error', reject);
  });
  assert.equal(status, 421);
});

test('symbolic links out of the renderer folder are not followed; links inside it are', async () => {
  const host = `127.0.0.1:${server.port}`;
  assert.equal((await get('/leak.txt', host)).status, 403);
  assert.equal((await get('/leakdir/secret.txt', host)).status, 403);
  const alias = await get('/alias.txt', host);
  assert.deepEqual([alias.status, alias.body], [200, 'fine']);
});
