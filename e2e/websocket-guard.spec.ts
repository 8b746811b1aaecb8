import { WebSocket } from 'ws';
import { expect, test } from './fixtures.ts';

test.skip(({ appKind }) => appKind !== 'browser', 'the WebSocket transport exists only in browser mode');

function upgradeStatus(url: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', reject);
  });
}

test('a WebSocket without the right token is refused', async ({ app }) => {
  const s = app.server!;
  const base = s.origin.replace('http', 'ws');
  expect(await upgradeStatus(`${base}/rpc`, s.origin)).toBe(401);
  expect(await upgradeStatus(`${base}/rpc?token=x${s.token}`, s.origin)).toBe(401);
  expect(await upgradeStatus(`${base}/rpc?token=${s.token}`, s.origin)).toBe(101);
});

test('a WebSocket from a foreign Origin is refused, even with the token', async ({ app }) => {
  const s = app.server!;
  expect(await upgradeStatus(`${s.origin.replace('http', 'ws')}/rpc?token=${s.token}`, 'https://evil.example')).toBe(
    403,
  );
});

test('a page on another origin cannot open the socket', async ({ app }) => {
  const s = app.server!;
  const other = await app.page.context().newPage();
  await other.route('http://evil.example/', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<p>evil</p>' }),
  );
  await other.goto('http://evil.example/');
  const outcome = await other.evaluate(
    (url) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url);
        ws.onopen = () => resolve('open');
        ws.onerror = () => resolve('refused');
      }),
    `${s.origin.replace('http', 'ws')}/rpc?token=${s.token}`,
  );
  expect(outcome).toBe('refused');
  await other.close();
});

test('the served page carries a strict Content-Security-Policy', async ({ app }) => {
  const res = await fetch(app.server!.origin + '/');
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("object-src 'none'");
  // Encoded slashes: the URL parser would otherwise normalise '..' away before the server sees it.
  expect((await fetch(app.server!.origin + '/..%2f..%2f..%2fetc%2fpasswd')).status).toBe(403);
});
