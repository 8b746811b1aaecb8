/**
 * Electron's transport: the contract over one IPC channel. Every message's sender frame is checked
 * against the app's own renderer before anything is dispatched.
 */
import type { IpcMain, IpcMainEvent, WebContents } from 'electron';
import { IPC_CHANNEL } from '../../shared/channel.ts';
import type { ServerMessage } from '../../shared/contract.ts';
import { connect, type Connection, type Service } from '../service/dispatcher.ts';

export function serveIpc(ipcMain: IpcMain, service: Service, isTrustedUrl: (url: string) => boolean): () => void {
  const connections = new Map<number, Connection>();

  const connectionFor = (sender: WebContents): Connection => {
    let conn = connections.get(sender.id);
    if (!conn) {
      const c = connect(service, (msg: ServerMessage) => {
        if (!sender.isDestroyed()) sender.send(IPC_CHANNEL, msg);
      });
      connections.set(sender.id, c);
      sender.once('destroyed', () => {
        c.close();
        connections.delete(sender.id);
      });
      conn = c;
    }
    return conn;
  };

  const onMessage = (event: IpcMainEvent, message: unknown): void => {
    const url = event.senderFrame?.url;
    if (!url || !isTrustedUrl(url)) return; // not our renderer: ignore, never answer
    connectionFor(event.sender).receive(message);
  };

  ipcMain.on(IPC_CHANNEL, onMessage);
  return () => {
    ipcMain.removeListener(IPC_CHANNEL, onMessage);
    for (const c of connections.values()) c.close();
    connections.clear();
  };
}
