/** Browser mode: the contract's message channel over the loopback WebSocket, token from the URL fragment. */
import type { ClientMessage, RpcChannel, ServerMessage } from '../../../shared/contract.ts';

const tokenOf = (loc: Location): string | null => new URLSearchParams(loc.hash.slice(1)).get('token');

/** Why the socket closed, as far as the page can tell: what the banner says and what helps. */
export type ChannelLoss = 'token' | 'down' | 'closed';

const PROBE_MS = 3000;

/** Whether a new socket with this token is accepted (opens) within PROBE_MS. */
function accepted(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      ws.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), PROBE_MS);
    ws.addEventListener('open', () => done(true));
    ws.addEventListener('close', () => done(false));
  });
}

/**
 * A browser does not expose the status of a refused upgrade: a 401 for a stale token and "nothing
 * listening" both close with 1006. The static files are not token-guarded, so an HTTP answer from the
 * origin means the service runs; a new socket with the same token then tells a restart (refused) from a
 * connection closed for another reason (accepted: reloading helps).
 */
async function diagnose(origin: string, url: string): Promise<ChannelLoss> {
  try {
    await fetch(`${origin}/`, { method: 'HEAD', cache: 'no-store' });
  } catch {
    return 'down';
  }
  return (await accepted(url)) ? 'closed' : 'token';
}

export function websocketChannel(
  loc: Location = window.location,
  onClose?: (why: Promise<ChannelLoss>) => void,
): RpcChannel {
  const token = tokenOf(loc) ?? '';
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${loc.host}/rpc?token=${encodeURIComponent(token)}`;
  const ws = new WebSocket(url);
  const listeners = new Set<(m: ServerMessage) => void>();
  const backlog: string[] = [];
  ws.addEventListener('open', () => backlog.splice(0).forEach((m) => ws.send(m)));
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as ServerMessage;
    listeners.forEach((l) => l(msg));
  });
  ws.addEventListener('close', () => onClose?.(diagnose(loc.origin, url)));
  // Opening the service's new address in this tab only changes the fragment, which does not reload the
  // page: reload, so the new token is used.
  window.addEventListener('hashchange', () => {
    const next = tokenOf(loc);
    if (ws.readyState === WebSocket.CLOSED && next && next !== token) loc.reload();
  });
  return {
    send(message: ClientMessage) {
      const data = JSON.stringify(message);
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
      else if (ws.readyState === WebSocket.CONNECTING) backlog.push(data);
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
