/** An in-memory client/server pair: tests connect client and service with no transport at all. */
import type { RpcChannel, ServerMessage } from '../../shared/contract.ts';
import { connect, type Service } from './dispatcher.ts';

export function memoryChannel(service: Service): RpcChannel & { close(): void } {
  const listeners = new Set<(m: ServerMessage) => void>();
  // Round-trip through JSON so tests see exactly what a wire would carry.
  const conn = connect(service, (msg) => {
    const copy = JSON.parse(JSON.stringify(msg)) as ServerMessage;
    queueMicrotask(() => listeners.forEach((l) => l(copy)));
  });
  return {
    send: (m) => conn.receive(JSON.parse(JSON.stringify(m))),
    onMessage(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    close: () => conn.close(),
  };
}
