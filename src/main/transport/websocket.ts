/**
 * Browser mode's transport: the contract over a WebSocket on 127.0.0.1, guarded by a token minted at
 * every start and by an Origin check, so neither another local user's page nor a website can drive it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerMessage } from '../../shared/contract.ts';
import { connect, type Service } from '../service/dispatcher.ts';
import { isLoopbackHost } from './host-check.ts';
import { contentSecurityPolicy, staticFiles } from './static-files.ts';

export const RPC_PATH = '/rpc';
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024; // resumable bundles travel as one message

export interface BrowserServer {
  url: string;
  origin: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

export interface BrowserServerOptions {
  service: Service;
  rendererDir: string;
  port?: number;
  token?: string;
}

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  let origin = '';
  const allowedOrigins = new Set<string>();
  let port = 0;
  const server: Server = createServer(
    staticFiles(
      opts.rendererDir,
      () => contentSecurityPolicy(origin.replace(/^http/, 'ws')),
      (host) => isLoopbackHost(host, port),
    ),
  );
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
    const reqOrigin = req.headers.origin;
    const refuse = (status: number, why: string): void => {
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== RPC_PATH) return refuse(404, 'Not Found');
    if (!isLoopbackHost(req.headers.host, port)) return refuse(421, 'Misdirected Request');
    // Browsers always send Origin; a page from anywhere else must not reach the contract.
    if (reqOrigin !== undefined && !allowedOrigins.has(reqOrigin)) return refuse(403, 'Forbidden');
    if (!sameToken(url.searchParams.get('token'), token)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, opts.service));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  allowedOrigins.add(origin).add(`http://localhost:${port}`);

  return {
    url: `${origin}/#token=${token}`,
    origin,
    token,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function attach(ws: WebSocket, service: Service): void {
  const conn = connect(service, (msg: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  });
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString());
    } catch {
      return;
    }
    conn.receive(parsed);
  });
  ws.on('close', () => conn.close());
  ws.on('error', () => conn.close());
}
