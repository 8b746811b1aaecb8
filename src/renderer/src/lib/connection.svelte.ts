/**
 * Whether the service is reachable. Only browser mode can lose it: the page outlives the server, and every
 * server start mints a new token, so the page's old one is refused from then on.
 *  - checking: the transport is still finding out why it closed;
 *  - token: the service answers but refuses this page's token (it restarted since the page was opened);
 *  - down: nothing answers at this address;
 *  - closed: the service still accepts this page, the connection was closed for another reason.
 */
export type LostReason = 'checking' | 'token' | 'down' | 'closed';

export class Connection {
  lost = $state(false);
  reason = $state<LostReason>('checking');

  /** The transport closed; `why` resolves once it knows what helps (see ws-channel.ts). */
  async closed(why: Promise<Exclude<LostReason, 'checking'>>): Promise<void> {
    this.lost = true;
    this.reason = 'checking';
    this.reason = await why;
  }
}

export const connection = new Connection();
