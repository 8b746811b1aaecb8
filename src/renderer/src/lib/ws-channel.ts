/** Browser mode: the contract's message channel over the loopback WebSocket, token from the URL fragment. */
import type { ClientMessage, RpcChannel, ServerMessage } from '../../../main/api/contract.ts';

export function websocketChannel(loc: Location = window.location, onClose?: () => void): RpcChannel {
  const token = new URLSearchParams(loc.hash.slice(1)).get('token') ?? '';
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${loc.host}/rpc?token=${encodeURIComponent(token)}`);
  const listeners = new Set<(m: ServerMessage) => void>();
  const backlog: string[] = [];
  ws.addEventListener('open', () => backlog.splice(0).forEach((m) => ws.send(m)));
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as ServerMessage;
    listeners.forEach((l) => l(msg));
  });
  // The server restarted or refused the token; onClose (api.ts) fails whatever is pending.
  ws.addEventListener('close', () => onClose?.());
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
