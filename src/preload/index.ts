/** Exposes the contract's message channel to the renderer, and nothing more. */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CHANNEL } from '../shared/channel.ts';
import type { ClientMessage, RpcChannel, ServerMessage } from '../shared/contract.ts';

const channel: RpcChannel = {
  send: (message: ClientMessage) => ipcRenderer.send(IPC_CHANNEL, message),
  onMessage(listener) {
    const wrapped = (_e: IpcRendererEvent, message: ServerMessage): void => listener(message);
    ipcRenderer.on(IPC_CHANNEL, wrapped);
    return () => {
      ipcRenderer.removeListener(IPC_CHANNEL, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('reprise', channel);
