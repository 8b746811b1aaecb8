/** The renderer's single client. Which transport carries it is decided here and nowhere else. */
import { createClient, type ApiClient } from '../../../shared/client.ts';
import type { RpcChannel } from '../../../shared/contract.ts';
import { connection } from './connection.svelte.ts';
import { websocketChannel } from './ws-channel.ts';

declare global {
  interface Window {
    reprise?: RpcChannel;
  }
}

export const api: ApiClient = createClient(
  window.reprise ??
    websocketChannel(window.location, (why) => {
      void connection.closed(why);
      // Fail whatever is still waiting, so no spinner waits forever.
      api.close();
    }),
);
