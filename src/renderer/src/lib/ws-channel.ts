/** Browser mode: the contract's message channel over the loopback WebSocket, token from the URL fragment. */
import type { ClientMessage, RpcChannel, ServerMessage } from '../../../main/api/contract.ts';
import { connection } from './connection.svelte.ts';

const tokenOf = (loc: Location): string | null => new URLSearchParams(loc.hash.slice(1)).get('token');

export function websocketChannel(loc: Location = window.location, onClose?: () => void): RpcChannel {
  const token = tokenOf(loc) ?? '';
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${loc.host}/rpc?token=${encodeURIComponent(token)}`);
  const listeners = new Set<(m: ServerMessage) => void>();
  const backlog: string[] = [];
  ws.addEventListener('open', () => backlog.splice(0).forEach((m) => ws.send(m)));
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as ServerMessage;
    listeners.forEach((l) => l(msg));
  });
  // The server stopped, or restarted and refused the token; connection finds out which (for the banner),
  // onClose (api.ts) fails whatever is pending.
  ws.addEventListener('close', () => {
    void connection.closed(loc.origin);
    onClose?.();
  });
  // Opening the service's new address in this tab only changes the fragment, which does not reload the
  // page: reload, so the new token is used.
  window.addEventListener('hashchange', () => {
    const next = tokenOf(loc);
    if (connection.lost && next && next !== token) loc.reload();
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
