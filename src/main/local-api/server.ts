// Starting and stopping the local API's HTTP server (@hono/node-server) on loopback, or elsewhere on
// explicit request with a warning.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { AppError } from '../../shared/errors.ts';
import { createApiApp, type ApiAppOptions } from './app.ts';

export const DEFAULT_API_PORT = 1435;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export interface LocalApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface StartOptions extends Omit<ApiAppOptions, 'allowedHosts'> {
  port: number;
  /** Default 127.0.0.1. Anything else is reachable from other machines: say so. */
  host?: string;
  warn?: (msg: string) => void;
}

export async function startLocalApi(o: StartOptions): Promise<LocalApiServer> {
  const host = o.host ?? '127.0.0.1';
  const loopback = LOOPBACK.has(host);
  if (!loopback)
    o.warn?.(
      `Local API: listening on ${host}, reachable from other machines; requests still need the API key. Use 127.0.0.1 to keep it local.`,
    );
  let port = o.port;
  // loopback names only (no DNS rebinding); a deliberate non-loopback bind accepts any Host
  const allowedHosts = () =>
    loopback ? ['127.0.0.1', 'localhost', '[::1]'].flatMap((h) => [`${h}:${port}`, ...(port === 80 ? [h] : [])]) : [];
  const app = createApiApp({ ...o, allowedHosts });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: o.port, hostname: host }, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new AppError({
          code: 'notAvailable',
          title: `The local API cannot listen on ${host}:${o.port}`,
          cause: err.code === 'EADDRINUSE' ? 'the port is in use by another program' : err.message,
          suggestion: 'Choose another port.',
        }),
      ),
    );
  });
  port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/v1`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // streaming clients would keep it open: end their connections too
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
